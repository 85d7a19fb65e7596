package dev.portcullis.license;

import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Secrets;
import java.util.Locale;
import java.util.UUID;

/**
 * License keys: five groups of five Crockford base-32 characters ({@code 7K3QM-...}), 125 random bits from the
 * CSPRNG. A key is shown once and stored as an HMAC under a key derived from the master key, scoped to its app;
 * what a caller presents is normalised the Crockford way first (case, hyphens and spaces ignored, {@code O} read
 * as {@code 0}, {@code I} and {@code L} as {@code 1}), so a key read aloud or retyped still works.
 */
final class LicenseKeys {

  static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  static final int GROUPS = 5;
  static final int GROUP_LENGTH = 5;
  /** Longer input is not hashed as given (it cannot be a key), so the work stays the same for any input. */
  private static final int MAX_PRESENTED = 64;

  private final MasterKey masterKey;

  LicenseKeys(MasterKey masterKey) {
    this.masterKey = masterKey;
  }

  /** A new key, formatted with hyphens. */
  static String generate() {
    StringBuilder key = new StringBuilder(GROUPS * (GROUP_LENGTH + 1));
    for (int group = 0; group < GROUPS; group++) {
      if (group > 0) {
        key.append('-');
      }
      for (int i = 0; i < GROUP_LENGTH; i++) {
        key.append(ALPHABET.charAt(Secrets.random().nextInt(ALPHABET.length())));
      }
    }
    return key.toString();
  }

  /** The last group: enough to tell keys apart in a console, far too little to guess the rest. */
  static String hint(String key) {
    return key.substring(key.length() - GROUP_LENGTH);
  }

  /** The stored form of a key of this app; any input (null, malformed, too long) costs the same one HMAC. */
  byte[] hash(UUID appId, String presented) {
    return masterKey.licenseKeyHash(appId + ":" + normalise(presented));
  }

  static String normalise(String presented) {
    if (presented == null || presented.length() > MAX_PRESENTED) {
      return "";
    }
    StringBuilder out = new StringBuilder(GROUPS * GROUP_LENGTH);
    for (char c : presented.toUpperCase(Locale.ROOT).toCharArray()) {
      switch (c) {
        case '-', ' ' -> { }
        case 'O' -> out.append('0');
        case 'I', 'L' -> out.append('1');
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
