package dev.portcullis.otp;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import dev.portcullis.core.ApiException;
import java.text.Normalizer;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Who a code is for: an email (trimmed, lower-cased) or a phone (E.164). Two spellings of one address are one
 * identity, so limits keyed by it cannot be dodged by re-formatting.
 *
 * @param country ISO 3166 region of a phone ({@code ZZ} when libphonenumber cannot tell), null for an email
 */
public record Identity(Kind kind, String value, String country) {

  public enum Kind {
    EMAIL("email", "email"),
    PHONE("phone", "sms");

    private final String field;
    private final String channel;

    Kind(String field, String channel) {
      this.field = field;
      this.channel = channel;
    }

    /** The request field and user column: {@code email} or {@code phone}. */
    public String field() {
      return field;
    }

    /** The delivery channel: {@code email} or {@code sms}. */
    public String channel() {
      return channel;
    }
  }

  public static final int MAX_EMAIL_LENGTH = 254;
  private static final int MAX_LOCAL_PART_LENGTH = 64;
  private static final int MAX_PHONE_INPUT = 40;
  private static final String UNKNOWN_COUNTRY = "ZZ";
  /** How many digits a possible number may be away from a valid premium-rate one and still be judged one. */
  private static final int LENGTH_SLACK = 2;
  private static final int MIN_NATIONAL_DIGITS = 4;
  // ASCII dot-atom local part and a host name with a letter TLD or an internationalised one in its ASCII form
  // (xn--): what mail providers accept in practice.
  private static final Pattern EMAIL = Pattern.compile(
      "[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
          + "@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})");
  private static final PhoneNumberUtil PHONES = PhoneNumberUtil.getInstance();

  /** Exactly one of {@code email} and {@code phone} (blank counts as absent), normalised and checked. */
  public static Identity of(String email, String phone) {
    boolean hasEmail = email != null && !email.isBlank();
    boolean hasPhone = phone != null && !phone.isBlank();
    if (hasEmail && hasPhone) {
      throw ApiException.invalid("phone", "give either email or phone, not both");
    }
    if (hasEmail) {
      return email(email);
    }
    if (hasPhone) {
      return phone(phone);
    }
    throw ApiException.invalid(email == null && phone != null ? "phone" : "email",
        email == null && phone == null ? "email or phone is required" : "is empty: give an email or a phone");
  }

  public static Identity email(String raw) {
    String email = raw.trim().toLowerCase(Locale.ROOT);
    if (email.length() > MAX_EMAIL_LENGTH) {
      throw ApiException.invalid("email", "must be at most " + MAX_EMAIL_LENGTH + " characters");
    }
    if (!EMAIL.matcher(email).matches()) {
      int at = email.lastIndexOf('@');
      boolean asciiDomain = email.substring(at + 1).chars().allMatch(c -> c < 0x80);
      throw ApiException.invalid("email", email.chars().allMatch(c -> c < 0x80) ? "is not a valid email address"
          : asciiDomain ? "is not a valid email address (ASCII only: a local part in other characters is not taken)"
          : "is not a valid email address (ASCII only: an internationalised domain in its ASCII form, xn--…)");
    }
    if (email.lastIndexOf('@') > MAX_LOCAL_PART_LENGTH) {
      throw ApiException.invalid("email", "must have at most " + MAX_LOCAL_PART_LENGTH + " characters before the @");
    }
    if (!labelsDecode(email)) {
      throw ApiException.invalid("email", "has an xn-- label that is not the ASCII form of a registrable domain name");
    }
    return new Identity(Kind.EMAIL, email, null);
  }

  /**
   * Whether every xn-- label of the domain is Punycode of a label a registry could hold: decoding, and in the one
   * form IDNA2008 allows (NFKC and case-folded, no format, control, space, symbol, private-use, unassigned or
   * default-ignorable code point; the joiners only where IDNA2008's context rules let them: after a virama, or a
   * ZWNJ in Arabic script). A caller that encoded another form of the same name (decomposed, upper case,
   * full-width, with an invisible variation selector) would otherwise make a second identity of it. A domain in
   * Unicode is not converted here: IDNA2003 maps faß.de to fass.de, another domain under IDNA2008, so it must come
   * in its ASCII form, converted by a caller that knows which rules its users' mail providers follow.
   */
  private static boolean labelsDecode(String email) {
    for (String label : email.substring(email.lastIndexOf('@') + 1).split("\\.")) {
      if (label.startsWith("xn--") && !registrable(Punycode.decode(label))) {
        return false;
      }
    }
    return true;
  }

  private static final int ZWNJ = 0x200C;
  private static final int ZWJ = 0x200D;

  private static boolean registrable(String label) {
    if (label == null || !Normalizer.isNormalized(label, Normalizer.Form.NFKC)) {
      return false;
    }
    int[] points = label.codePoints().toArray();
    boolean arabic = label.codePoints().anyMatch(c -> Character.UnicodeScript.of(c) == Character.UnicodeScript.ARABIC);
    for (int i = 0; i < points.length; i++) {
      int c = points[i];
      if (c == ZWNJ || c == ZWJ) {
        // CONTEXTJ (RFC 5892 A.1, A.2): after a virama (a combining mark), or a ZWNJ between Arabic-script letters.
        boolean afterVirama = i > 0 && Character.getType(points[i - 1]) == Character.NON_SPACING_MARK;
        if (!afterVirama && !(c == ZWNJ && arabic)) {
          return false;
        }
      } else if (!caseFolded(c) || !allowedInLabel(c)) {
        return false;
      }
    }
    return true;
  }

  /** Whether case folding keeps {@code c}: lower case, and Cherokee's capitals (to which its small letters fold). */
  private static boolean caseFolded(int c) {
    if (c >= 0x13A0 && c <= 0x13F5) {
      return true;
    }
    if (c >= 0x13F8 && c <= 0x13FD || c >= 0xAB70 && c <= 0xABBF) {
      return false;
    }
    return Character.toLowerCase(c) == c;
  }

  private static boolean allowedInLabel(int c) {
    if (c == 0x0640 || c == 0x07FA || defaultIgnorable(c)) {
      return false; // tatweel and NKo lajanyalan are DISALLOWED; ignorables are invisible
    }
    return switch (Character.getType(c)) {
      case Character.FORMAT, Character.CONTROL, Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR,
           Character.PARAGRAPH_SEPARATOR, Character.PRIVATE_USE, Character.UNASSIGNED, Character.SURROGATE,
           Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> false;
      default -> true;
    };
  }

  /** Default_Ignorable_Code_Point characters that are not format characters (those are refused by their type). */
  private static boolean defaultIgnorable(int c) {
    return c == 0x034F || c == 0x115F || c == 0x1160 || c == 0x17B4 || c == 0x17B5 || c >= 0x180B && c <= 0x180F
        || c == 0x3164 || c >= 0xFE00 && c <= 0xFE0F || c == 0xFFA0 || c >= 0xE0100 && c <= 0xE01EF;
  }

  public static Identity phone(String raw) {
    // A full-width plus, as Japanese and Chinese input methods type it, is the plus (libphonenumber reads it so too).
    String input = raw.trim().replace('\uFF0B', '+');
    if (input.length() > MAX_PHONE_INPUT || !input.startsWith("+") && !input.startsWith("(+")) {
      throw ApiException.invalid("phone", "must be an international number: + and the country code");
    }
    // The parser reads letters as keypad digits ("+1 650 253 OOOO" is +16502536666) and drops an extension: a
    // number that looks like one user's would reach another's phone.
    if (input.codePoints().anyMatch(Character::isLetter)) {
      throw ApiException.invalid("phone", "must be digits only: no letters or extension");
    }
    PhoneNumber number;
    try {
      number = PHONES.parse(input, null);
    } catch (NumberParseException e) {
      throw ApiException.invalid("phone", "is not a phone number");
    }
    if (number.hasExtension()) {
      // Written without letters too: "+1 212 555 3000;5", ",5", "#5".
      throw ApiException.invalid("phone", "must be digits only: no letters or extension");
    }
    // A number dialable only inside its own area (IS_POSSIBLE_LOCAL_ONLY, "+44 1234") is no E.164 address: a code
    // sent to it reaches nobody, or a stranger in whichever area the carrier picks.
    if (PHONES.isPossibleNumberWithReason(number) != PhoneNumberUtil.ValidationResult.IS_POSSIBLE) {
      throw ApiException.invalid("phone", "is not a possible phone number (with its country and area code)");
    }
    return new Identity(Kind.PHONE, PHONES.format(number, PhoneNumberFormat.E164), country(number));
  }

  /** The identity in a form that names its kind, as stored with a pending code: {@code email:a@b.c}. */
  public String qualified() {
    return kind.field() + ":" + value;
  }

  /**
   * The mailbox an email lands in, for counting what is sent to it: the local part without a {@code +tag}, and at
   * Gmail without dots ({@code googlemail.com} is {@code gmail.com}), so one inbox's variants are one; a phone as it
   * is. Never the identity itself: {@code a+b@x} is still its own account.
   */
  public String mailbox() {
    if (kind != Kind.EMAIL) {
      return qualified();
    }
    int at = value.lastIndexOf('@');
    String local = value.substring(0, at);
    String domain = value.substring(at + 1);
    int tag = local.indexOf('+');
    if (tag > 0) {
      local = local.substring(0, tag);
    }
    if (domain.equals("gmail.com") || domain.equals("googlemail.com")) {
      local = local.replace(".", "");
      domain = "gmail.com";
    }
    return kind.field() + ":" + local + "@" + domain;
  }

  /**
   * A user's stored email or phone (exactly one is non-null), as it was normalised when accepted: not judged again by
   * today's rules, so a number accepted before a rule was added stays its user's (for a password change).
   */
  public static Identity stored(String email, String phone) {
    return email != null ? new Identity(Kind.EMAIL, email, null) : new Identity(Kind.PHONE, phone, countryOf(phone));
  }

  /** The country of a stored E.164 number, as {@link #phone} names it, or {@code ZZ} when it names none. */
  public static String countryOf(String e164) {
    try {
      return country(PHONES.parse(e164, null));
    } catch (NumberParseException e) {
      return UNKNOWN_COUNTRY;
    }
  }

  /** The identity as {@link #qualified()} wrote it (already normalised; the country is not kept). */
  public static Identity fromQualified(String qualified) {
    int colon = qualified.indexOf(':');
    Kind kind = qualified.substring(0, colon).equals(Kind.EMAIL.field()) ? Kind.EMAIL : Kind.PHONE;
    return new Identity(kind, qualified.substring(colon + 1), null);
  }

  /** For log lines and audit data: enough to recognise, not enough to contact. */
  public String masked() {
    if (kind == Kind.EMAIL) {
      int at = value.indexOf('@');
      return value.charAt(0) + "***" + value.substring(at);
    }
    return value.substring(0, 3) + "*".repeat(Math.max(0, value.length() - 5)) + value.substring(value.length() - 2);
  }

  /** Masked, like {@link #masked()}: a record's default toString would print the address itself. */
  @Override
  public String toString() {
    return "Identity[" + kind.field() + " " + masked() + "]";
  }

  /**
   * A phone number whose calls or texts the caller pays extra for (premium rate, shared cost; the ITU's +979 among
   * them): a code sent there spends the operator's money on the number's owner, whoever asked for it (h58).
   */
  public boolean premiumRate() {
    if (kind != Kind.PHONE) {
      return false;
    }
    try {
      PhoneNumber number = PHONES.parse(value, null);
      if (PHONES.isValidNumber(number)) {
        return premiumType(number);
      }
      // Possible but of no valid length: a premium range with a digit too many or too few was let through (h62), and
      // a network may still route it. It is judged as each valid number it is a digit or two away from.
      String national = PHONES.getNationalSignificantNumber(number);
      for (int change = -LENGTH_SLACK; change <= LENGTH_SLACK; change++) {
        int length = national.length() + change;
        if (change != 0 && length >= MIN_NATIONAL_DIGITS) {
          String near = change < 0 ? national.substring(0, length) : national + "0".repeat(change);
          PhoneNumber candidate = PHONES.parse("+" + number.getCountryCode() + near, null);
          if (PHONES.isValidNumber(candidate) && premiumType(candidate)) {
            return true;
          }
        }
      }
      return false;
    } catch (NumberParseException e) {
      return false;
    }
  }

  private static boolean premiumType(PhoneNumber number) {
    PhoneNumberUtil.PhoneNumberType type = PHONES.getNumberType(number);
    return type == PhoneNumberUtil.PhoneNumberType.PREMIUM_RATE || type == PhoneNumberUtil.PhoneNumberType.SHARED_COST;
  }

  private static String country(PhoneNumber number) {
    String region = PHONES.getRegionCodeForNumber(number);
    if (region != null) {
      return region;
    }
    // Not a valid number of any region: only a calling code with a single region names the country.
    List<String> regions = PHONES.getRegionCodesForCountryCode(number.getCountryCode());
    return regions.size() == 1 ? regions.get(0) : UNKNOWN_COUNTRY;
  }
}
