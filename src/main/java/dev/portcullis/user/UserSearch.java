package dev.portcullis.user;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.Digits;
import java.util.Locale;
import java.util.UUID;

/**
 * What the {@code q} of the user list asks for: an exact user id, an email prefix, or (when it holds digits
 * and nothing that cannot be part of a phone) a prefix of the E.164 phone or an email prefix. Prefixes are
 * searched as a range of the prefix indexes ({@code [prefix, prefix + U+10FFFF)}), which a generic prepared
 * plan can use too, plus an exact {@code LIKE} check.
 */
record UserSearch(Kind kind, UUID id, String emailPrefix, String phonePrefix) {

  enum Kind { ALL, ID, EMAIL, PHONE_OR_EMAIL }

  private static final int MAX_QUERY = 254;
  private static final String TOP = new String(Character.toChars(Character.MAX_CODE_POINT));

  static UserSearch parse(String q) {
    String trimmed = q == null ? "" : q.trim();
    if (trimmed.isEmpty()) {
      return new UserSearch(Kind.ALL, null, null, null);
    }
    if (trimmed.length() > MAX_QUERY) {
      throw dev.portcullis.core.ApiException.invalid("q", "must be at most " + MAX_QUERY + " characters");
    }
    UUID id = AppDirectory.parseUuid(trimmed);
    if (id != null) {
      return new UserSearch(Kind.ID, id, null, null);
    }
    String email = trimmed.toLowerCase(Locale.ROOT);
    // A full-width plus, as Japanese and Chinese input methods type it, is the plus (as in Identity.phone).
    String ascii = Digits.ascii(trimmed).replace('\uFF0B', '+');
    String digits = ascii.replaceAll("[^0-9]", "");
    boolean phoneLike = !digits.isEmpty() && ascii.matches("(?U)[0-9+()\\s.\\-]+");
    return phoneLike
        ? new UserSearch(Kind.PHONE_OR_EMAIL, null, email, "+" + digits)
        : new UserSearch(Kind.EMAIL, null, email, null);
  }

  /** The exclusive upper end of the range of strings that start with {@code prefix}. */
  static String upperBound(String prefix) {
    return prefix + TOP;
  }

  /** {@code prefix%} for LIKE, with LIKE's own characters escaped. */
  static String like(String prefix) {
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
  }
}
