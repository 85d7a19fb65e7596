package dev.portcullis.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The link of the per-app hash chain: {@code hash = hex(SHA-256(previous_hash || canonical))}, where
 * {@code previous_hash} is the 64 lower-case hex characters of the event before (64 zeros for the first
 * event of a chain) and {@code canonical} is the {@link CanonicalJson} text of the event's fields without
 * {@code hash}, both as UTF-8.
 */
final class ChainHash {

  static final String GENESIS = "0".repeat(64);

  private ChainHash() {
  }

  static String link(String previousHash, StoredEvent event) {
    MessageDigest sha256 = sha256();
    sha256.update(previousHash.getBytes(StandardCharsets.US_ASCII));
    sha256.update(CanonicalJson.encode(event.content()).getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(sha256.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
