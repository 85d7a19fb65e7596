package dev.portcullis.owner;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.otp.Identity;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Who may become an owner by asking for a code ({@code PORTCULLIS_OWNER_SIGNUP}): anyone ({@code open}), the
 * emails and {@code @domain}s of {@code PORTCULLIS_OWNER_ALLOWLIST} ({@code allowlist}), or nobody
 * ({@code closed}: the operator creates owners with {@code POST /v1/owners}). Existing owners always sign in.
 */
public final class OwnerSignupPolicy {

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
      // An entry that can match no email (example.com without its @, a domain in Unicode) refused every sign-up
      // it was meant for, silently.
      if (!matchable(entry)) {
        throw new IllegalArgumentException(GatewayConfig.OWNER_ALLOWLIST + ": '" + entry
            + "' is neither an email address nor @domain as sign-ups give them (a domain in its ASCII form, xn--…)");
      }
    }
    return new OwnerSignupPolicy(config.ownerSignup(), allowlist);
  }

  /** Whether some email, normalised as every sign-up's is, equals the entry or ends with it ({@code @domain}). */
  private static boolean matchable(String entry) {
    try {
      String email = entry.startsWith("@") ? "x" + entry : entry;
      return Identity.email(email).value().equals(email) && email.substring(email.lastIndexOf('@')).contains(".");
    } catch (ApiException e) {
      return false;
    }
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
