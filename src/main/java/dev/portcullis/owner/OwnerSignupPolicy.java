package dev.portcullis.owner;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.otp.Identity;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Who may become an owner by asking for a code ({@code PORTCULLIS_OWNER_SIGNUP}): anyone ({@code open}), the
 * emails and {@code @domain}s of {@code PORTCULLIS_OWNER_ALLOWLIST} ({@code allowlist}), or nobody
 * ({@code closed}: the operator creates owners with {@code POST /v1/owners}). Existing owners always sign in.
 */
public final class OwnerSignupPolicy {

  /** An email address, or {@code @} and a domain with a dot. */
  private static final Pattern ENTRY = Pattern.compile("[^@\\s,]*@[^@\\s,.]+(\\.[^@\\s,.]+)+");

  private final String mode;
  private final List<String> allowlist;

  OwnerSignupPolicy(String mode, List<String> allowlist) {
    this.mode = mode;
    this.allowlist = allowlist;
  }

  public static OwnerSignupPolicy from(GatewayConfig config) {
    String entries = config.optional(GatewayConfig.OWNER_ALLOWLIST);
    List<String> allowlist = entries == null ? List.of() : Arrays.stream(entries.split(","))
        .map(entry -> entry.trim().toLowerCase(Locale.ROOT))
        .filter(entry -> !entry.isEmpty())
        .toList();
    for (String entry : allowlist) {
      // An entry that can match no email (example.com without its @) refused every sign-up, silently.
      if (!ENTRY.matcher(entry).matches()) {
        throw new IllegalArgumentException(GatewayConfig.OWNER_ALLOWLIST + ": '" + entry
            + "' is neither an email address nor @domain");
      }
    }
    return new OwnerSignupPolicy(config.ownerSignup(), allowlist);
  }

  /** Whether an identity that is not an owner yet may become one by signing in. */
  boolean allowsNew(Identity identity) {
    return switch (mode) {
      case "open" -> true;
      case "allowlist" -> identity.kind() == Identity.Kind.EMAIL && listed(identity.value());
      default -> false;
    };
  }

  private boolean listed(String email) {
    String domain = email.substring(email.lastIndexOf('@'));
    return allowlist.contains(email) || allowlist.contains(domain);
  }
}
