package dev.portcullis.password;

import dev.portcullis.app.AppSettings;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Digits;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.otp.Identity;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a new password must be, after NIST SP 800-63B: judged on its Unicode NFKC form, counted in code points,
 * from the app's {@code password_min_length} to {@link #MAX_LENGTH}, never truncated, not one of the 10,000 most
 * common passwords (unless the app turns that off), not containing the identity it protects, and, only for apps
 * that ask for it, holding an upper-case letter, a lower-case letter, a digit and a symbol.
 */
public final class PasswordPolicy {

  public static final int MAX_LENGTH = 1024;
  /**
   * Input longer than this (in UTF-16 units) cannot come to {@link #MAX_LENGTH} code points or fewer in NFKC, whose
   * compositions merge at most four code points into one: it is left as it is rather than normalised, since NFKC
   * multiplies some characters eighteenfold (U+FDFA), and a body of them cost an event loop 20 ms a request.
   */
  static final int NORMALISABLE_LENGTH = 8 * MAX_LENGTH;
  /**
   * Combining marks in a row that a password may hold (Unicode's stream-safe bound, UAX #15): NFKC reorders a run of
   * them in time that grows with its square, and 8,000 of them held an event loop 60 ms (h35).
   */
  static final int MAX_MARKS_IN_A_ROW = 30;
  /** Characters of no mark type whose NFKD begins with a mark: Thai and Lao SARA AM, the half-width voiced marks. */
  private static final Set<Integer> DECOMPOSES_TO_A_MARK = Set.of(0x0E33, 0x0EB3, 0xFF9E, 0xFF9F);
  /** Parts of an identity shorter than this are not searched for: "ab" in a password says nothing. */
  private static final int MIN_IDENTITY_PART = 4;

  public static final String TOO_SHORT = "too_short";
  public static final String TOO_LONG = "too_long";
  public static final String COMMON = "common";
  public static final String MISSING_CLASSES = "missing_classes";
  public static final String CONTAINS_IDENTITY = "contains_identity";

  private final int minLength;
  private final boolean blockCommon;
  private final boolean requireClasses;

  public PasswordPolicy(int minLength, boolean blockCommon, boolean requireClasses) {
    this.minLength = minLength;
    this.blockCommon = blockCommon;
    this.requireClasses = requireClasses;
  }

  public static PasswordPolicy of(AppSettings settings) {
    return new PasswordPolicy(settings.passwordMinLength(), settings.passwordBlockCommon(),
        settings.passwordRequireClasses());
  }

  /**
   * The form a password is hashed and compared in: NFKC, so one password typed on two keyboards is one. Text
   * with a lone UTF-16 surrogate (a JSON {@code \ud800} escape) is no Unicode text and is {@code 400}: its UTF-8
   * for the hash would turn each into {@code ?}, making distinct passwords one. Text too long to ever be a
   * password comes back as it is ({@link #NORMALISABLE_LENGTH}): refused as too long, or never matching a hash.
   */
  public static String normalise(String field, String password) {
    int marks = 0;
    for (int i = 0; i < password.length(); i++) {
      char c = password.charAt(i);
      boolean paired = Character.isHighSurrogate(c) && i + 1 < password.length()
          && Character.isLowSurrogate(password.charAt(i + 1));
      if (!paired && Character.isSurrogate(c)) {
        throw ApiException.invalid(field, "is not valid Unicode text (a lone surrogate)");
      }
      marks = isMark(paired ? password.codePointAt(i) : c) ? marks + 1 : 0;
      if (marks > MAX_MARKS_IN_A_ROW) {
        throw ApiException.invalid(field, "holds more than " + MAX_MARKS_IN_A_ROW + " combining marks in a row");
      }
      if (paired) {
        i++;
      }
    }
    return password.length() > NORMALISABLE_LENGTH ? password : Normalizer.normalize(password, Normalizer.Form.NFKC);
  }

  /**
   * The characters NFKC may reorder: the marks (every one with a non-zero combining class is among them), and those
   * whose compatibility decomposition begins with one, which join the run they follow. The half-width voiced sound
   * marks U+FF9E and U+FF9F (Lm) become U+3099 and U+309A: alternating with U+0301 they made one run of 8,190 marks
   * (h41). PasswordPolicyTest finds every such character in the running JDK's Unicode.
   */
  static boolean isMark(int codePoint) {
    int type = Character.getType(codePoint);
    return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
        || type == Character.ENCLOSING_MARK || DECOMPOSES_TO_A_MARK.contains(codePoint);
  }

  /** The reasons {@code normalised} is refused (empty when it is acceptable); {@code identity} may be null. */
  public List<String> reasons(String normalised, Identity identity) {
    List<String> reasons = new ArrayList<>();
    int length = normalised.codePointCount(0, normalised.length());
    if (length < minLength) {
      reasons.add(TOO_SHORT);
    }
    if (length > MAX_LENGTH) {
      // Nothing else is worth searching for in a text that long (up to the body's 64 KiB).
      reasons.add(TOO_LONG);
      return reasons;
    }
    if (blockCommon && CommonPasswords.contains(normalised)) {
      reasons.add(COMMON);
    }
    if (requireClasses && !hasEveryClass(normalised)) {
      reasons.add(MISSING_CLASSES);
    }
    if (identity != null && containsIdentity(normalised, identity)) {
      reasons.add(CONTAINS_IDENTITY);
    }
    return reasons;
  }

  /** Fails with {@code 400 weak_password} and its {@code reasons} when {@code normalised} is refused. */
  public void check(String field, String normalised, Identity identity) {
    if (normalised.isBlank()) {
      // As every password field of the API reads one (Fields.requiredString): the admin API stored ten spaces, which
      // no sign-in could then send (h68). No-break spaces are spaces once normalised.
      throw ApiException.invalid(field, "is required");
    }
    if (normalised.codePoints().anyMatch(c -> Character.getType(c) == Character.UNASSIGNED)) {
      // NFKC leaves it as it is today; a later Unicode version may map it, and the stored hash would stop matching.
      throw ApiException.invalid(field, "holds a character Unicode has not assigned yet");
    }
    List<String> reasons = reasons(normalised, identity);
    if (!reasons.isEmpty()) {
      throw weak(field, reasons);
    }
  }

  static ApiException weak(String field, List<String> reasons) {
    return new ApiException(ErrorCode.WEAK_PASSWORD, field + ": does not meet the password policy ("
        + String.join(", ", reasons) + ")", new JsonObject().put("reasons", new JsonArray(reasons)));
  }

  private static boolean hasEveryClass(String password) {
    boolean upper = false;
    boolean lower = false;
    boolean digit = false;
    boolean symbol = false;
    for (int i = 0; i < password.length(); ) {
      int c = password.codePointAt(i);
      upper |= Character.isUpperCase(c);
      lower |= Character.isLowerCase(c);
      digit |= Character.isDigit(c);
      symbol |= !Character.isLetterOrDigit(c) && !Character.isWhitespace(c);
      i += Character.charCount(c);
    }
    return upper && lower && digit && symbol;
  }

  /** The email, its local part, or the phone's national digits, found anywhere in the password, case ignored. */
  private static boolean containsIdentity(String password, Identity identity) {
    String lower = password.toLowerCase(Locale.ROOT);
    List<String> parts = new ArrayList<>();
    if (identity.kind() == Identity.Kind.EMAIL) {
      parts.add(identity.value());
      parts.add(identity.value().substring(0, identity.value().indexOf('@')));
    } else {
      String digits = identity.value().substring(1);
      parts.add(digits);
      // the subscriber number without its country code, as people write it at home
      parts.add(digits.length() > 8 ? digits.substring(digits.length() - 8) : digits);
    }
    String digitsOnly = Digits.ascii(lower).replaceAll("[^0-9]", "");
    for (String part : parts) {
      if (part.length() >= MIN_IDENTITY_PART
          && (lower.contains(part) || identity.kind() == Identity.Kind.PHONE && digitsOnly.contains(part))) {
        return true;
      }
    }
    return false;
  }
}
