package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import dev.portcullis.user.Roles;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** An app's settings: defaults, ranges, and validation that names the offending field. */
public final class AppSettings {

  public static final String ACCESS_TOKEN_TTL = "access_token_ttl";
  public static final String REFRESH_TOKEN_TTL = "refresh_token_ttl";
  public static final String OTP_LENGTH = "otp_length";
  public static final String OTP_TTL = "otp_ttl";
  public static final String OTP_MAX_ATTEMPTS = "otp_max_attempts";
  public static final String OTP_RESEND_COOLDOWN = "otp_resend_cooldown";
  public static final String OTP_MAX_SENDS_PER_HOUR = "otp_max_sends_per_hour";
  public static final String OTP_CHANNELS = "otp_channels";
  public static final String SMS_ALLOWED_COUNTRIES = "sms_allowed_countries";
  public static final String REFRESH_REUSE_GRACE_SECONDS = "refresh_reuse_grace_seconds";
  public static final String SMS_MAX_SENDS_PER_HOUR = "sms_max_sends_per_hour";
  public static final String SMS_MAX_SENDS_PER_HOUR_PER_COUNTRY = "sms_max_sends_per_hour_per_country";
  /** NIST SP 800-63B: an out-of-band code lives at most 10 minutes. */
  public static final int MAX_OTP_TTL = 600;
  public static final String PASSWORD_MIN_LENGTH = "password_min_length";
  public static final String PASSWORD_REQUIRE_CLASSES = "password_require_classes";
  public static final String PASSWORD_BLOCK_COMMON = "password_block_common";
  public static final String REQUIRE_VERIFIED_IDENTITY = "require_verified_identity";
  public static final String CHALLENGE_REQUIRED = "challenge_required";
  public static final String POW_MAX_DIFFICULTY = "pow_max_difficulty";
  public static final String PASSWORD_MAX_FAILURES = "password_max_failures";
  public static final String PASSWORD_MAX_FAILURES_PER_NETWORK = "password_max_failures_per_network";
  public static final String REQUIRE_TERMS_ACCEPTANCE = "require_terms_acceptance";
  /** Roles a new user gets (names; built-in ids are stored as names). Custom roles must exist: see DefaultRoles. */
  public static final String DEFAULT_ROLES = "default_roles";

  /** The longest access token TTL any app may have: how long a retired signing key stays published. */
  public static final int MAX_ACCESS_TOKEN_TTL = 86_400;

  private record Range(String field, int defaultValue, int min, int max) {
  }

  private static final List<Range> RANGES = List.of(
      new Range(ACCESS_TOKEN_TTL, 900, 60, MAX_ACCESS_TOKEN_TTL),
      new Range(REFRESH_TOKEN_TTL, 2_592_000, 300, 31_536_000),
      new Range(OTP_LENGTH, 6, 4, 10),
      new Range(OTP_TTL, 300, 30, MAX_OTP_TTL),
      new Range(OTP_MAX_ATTEMPTS, 5, 1, 20),
      new Range(OTP_RESEND_COOLDOWN, 30, 0, 3_600),
      new Range(OTP_MAX_SENDS_PER_HOUR, 5, 1, 1_000),
      new Range(REFRESH_REUSE_GRACE_SECONDS, 10, 0, 60),
      new Range(SMS_MAX_SENDS_PER_HOUR, 1_000, 1, 1_000_000),
      new Range(SMS_MAX_SENDS_PER_HOUR_PER_COUNTRY, 200, 1, 1_000_000),
      new Range(PASSWORD_MIN_LENGTH, 8, 8, 128),
      new Range(POW_MAX_DIFFICULTY, 22, 0, 26),
      new Range(PASSWORD_MAX_FAILURES, 10, 3, 100),
      new Range(PASSWORD_MAX_FAILURES_PER_NETWORK, 100, 10, 10_000));

  private record Flag(String field, boolean defaultValue) {
  }

  private static final List<Flag> FLAGS = List.of(
      new Flag(PASSWORD_REQUIRE_CLASSES, false),
      new Flag(PASSWORD_BLOCK_COMMON, true),
      new Flag(REQUIRE_VERIFIED_IDENTITY, true),
      new Flag(CHALLENGE_REQUIRED, true),
      new Flag(REQUIRE_TERMS_ACCEPTANCE, false));

  private static final Set<String> CHANNELS = Set.of("email", "sms");
  /**
   * ISO 3166 alpha-2, and the three codes outside it that phone numbers are placed in (Kosovo, Ascension, Tristan da
   * Cunha): a refusal names the number's country by the same code, so the list must be able to hold it.
   */
  private static final Set<String> COUNTRIES = Stream.concat(Stream.of(Locale.getISOCountries()),
      Stream.of("XK", "AC", "TA")).collect(Collectors.toUnmodifiableSet());

  private final JsonObject values;

  private AppSettings(JsonObject values) {
    this.values = values;
  }

  public static AppSettings defaults() {
    return new AppSettings(withDefaults(new JsonObject()));
  }

  /** Settings as stored (already validated), completed with defaults for keys added since. */
  public static AppSettings fromStored(JsonObject stored) {
    return new AppSettings(withDefaults(stored == null ? new JsonObject() : stored.copy()));
  }

  /** Validates a client's partial settings and merges them over {@code base}. */
  public static AppSettings merge(AppSettings base, JsonObject changes) {
    JsonObject merged = base.values.copy();
    if (changes == null) {
      return new AppSettings(merged);
    }
    for (String field : changes.fieldNames()) {
      Object value = changes.getValue(field);
      Range range = RANGES.stream().filter(r -> r.field().equals(field)).findFirst().orElse(null);
      Flag flag = FLAGS.stream().filter(f -> f.field().equals(field)).findFirst().orElse(null);
      if (range != null) {
        merged.put(field, integerIn(range, value));
      } else if (flag != null) {
        merged.put(field, bool(field, value));
      } else if (field.equals(OTP_CHANNELS)) {
        merged.put(field, channels(value));
      } else if (field.equals(SMS_ALLOWED_COUNTRIES)) {
        merged.put(field, countries(value));
      } else if (field.equals(DEFAULT_ROLES)) {
        merged.put(field, new JsonArray(Roles.canonical(Roles.refs("settings." + DEFAULT_ROLES, value))));
      } else if (HostedSettings.owns(field)) {
        merged.put(field, HostedSettings.validate(field, value));
      } else {
        throw ApiException.invalid("settings." + field, "is not a known setting");
      }
    }
    return new AppSettings(merged);
  }

  public int accessTokenTtl() {
    return values.getInteger(ACCESS_TOKEN_TTL);
  }

  public int refreshTokenTtl() {
    return values.getInteger(REFRESH_TOKEN_TTL);
  }

  public int otpLength() {
    return values.getInteger(OTP_LENGTH);
  }

  /** At most {@link #MAX_OTP_TTL}, even for settings stored before that ceiling (a migration clamps them too). */
  public int otpTtl() {
    return Math.min(values.getInteger(OTP_TTL), MAX_OTP_TTL);
  }

  /** The app's SMS budget per hour; the gateway applies the operator's ceiling on top. */
  public int smsMaxSendsPerHour() {
    return values.getInteger(SMS_MAX_SENDS_PER_HOUR);
  }

  public int smsMaxSendsPerHourPerCountry() {
    return values.getInteger(SMS_MAX_SENDS_PER_HOUR_PER_COUNTRY);
  }

  public int otpMaxAttempts() {
    return values.getInteger(OTP_MAX_ATTEMPTS);
  }

  public int otpResendCooldown() {
    return values.getInteger(OTP_RESEND_COOLDOWN);
  }

  public int otpMaxSendsPerHour() {
    return values.getInteger(OTP_MAX_SENDS_PER_HOUR);
  }

  public int refreshReuseGraceSeconds() {
    return values.getInteger(REFRESH_REUSE_GRACE_SECONDS);
  }

  public int passwordMinLength() {
    return values.getInteger(PASSWORD_MIN_LENGTH);
  }

  public boolean passwordRequireClasses() {
    return values.getBoolean(PASSWORD_REQUIRE_CLASSES);
  }

  public boolean passwordBlockCommon() {
    return values.getBoolean(PASSWORD_BLOCK_COMMON);
  }

  public boolean requireVerifiedIdentity() {
    return values.getBoolean(REQUIRE_VERIFIED_IDENTITY);
  }

  public boolean challengeRequired() {
    return values.getBoolean(CHALLENGE_REQUIRED);
  }

  public int powMaxDifficulty() {
    return values.getInteger(POW_MAX_DIFFICULTY);
  }

  public int passwordMaxFailures() {
    return values.getInteger(PASSWORD_MAX_FAILURES);
  }

  public int passwordMaxFailuresPerNetwork() {
    return values.getInteger(PASSWORD_MAX_FAILURES_PER_NETWORK);
  }

  public boolean requireTermsAcceptance() {
    return values.getBoolean(REQUIRE_TERMS_ACCEPTANCE);
  }

  public List<String> otpChannels() {
    return values.getJsonArray(OTP_CHANNELS).stream().map(String::valueOf).toList();
  }

  /** ISO codes an SMS may go to, or null when every country is allowed. */
  public List<String> smsAllowedCountries() {
    JsonArray countries = values.getJsonArray(SMS_ALLOWED_COUNTRIES);
    return countries == null ? null : countries.stream().map(String::valueOf).toList();
  }

  public List<String> defaultRoles() {
    return values.getJsonArray(DEFAULT_ROLES).stream().map(String::valueOf).toList();
  }

  /** The hosted sign-in page's settings. */
  public HostedSettings hosted() {
    return new HostedSettings(values);
  }

  public JsonObject toJson() {
    return values.copy();
  }

  private static JsonObject withDefaults(JsonObject values) {
    for (Range range : RANGES) {
      if (!values.containsKey(range.field())) {
        values.put(range.field(), range.defaultValue());
      }
    }
    for (Flag flag : FLAGS) {
      if (!values.containsKey(flag.field())) {
        values.put(flag.field(), flag.defaultValue());
      }
    }
    if (!values.containsKey(OTP_CHANNELS)) {
      values.put(OTP_CHANNELS, new JsonArray().add("email").add("sms"));
    }
    if (!values.containsKey(SMS_ALLOWED_COUNTRIES)) {
      values.putNull(SMS_ALLOWED_COUNTRIES);
    }
    if (!values.containsKey(DEFAULT_ROLES)) {
      values.put(DEFAULT_ROLES, new JsonArray().add("USER"));
    }
    HostedSettings.addDefaults(values);
    return values;
  }

  private static int integerIn(Range range, Object value) {
    String field = "settings." + range.field();
    if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())) {
      throw ApiException.invalid(field, "must be an integer");
    }
    // Compared as a double: longValue() keeps only the low 64 bits of a larger integer, so 2^64 + 60 read as 60.
    double whole = number.doubleValue();
    if (whole < range.min() || whole > range.max()) {
      throw ApiException.invalid(field, "must be between " + range.min() + " and " + range.max());
    }
    return (int) whole;
  }

  private static boolean bool(String key, Object value) {
    if (!(value instanceof Boolean flag)) {
      throw ApiException.invalid("settings." + key, "must be true or false");
    }
    return flag;
  }

  private static JsonArray channels(Object value) {
    String field = "settings." + OTP_CHANNELS;
    if (!(value instanceof JsonArray array) || array.isEmpty()) {
      throw ApiException.invalid(field, "must be a non-empty array of \"email\" and \"sms\"");
    }
    JsonArray out = new JsonArray();
    for (Object item : array) {
      if (!(item instanceof String channel) || !CHANNELS.contains(channel)) {
        throw ApiException.invalid(field, "must contain only \"email\" and \"sms\"");
      }
      if (!out.contains(channel)) {
        out.add(channel);
      }
    }
    return out;
  }

  private static JsonArray countries(Object value) {
    String field = "settings." + SMS_ALLOWED_COUNTRIES;
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array)) {
      throw ApiException.invalid(field, "must be an array of ISO 3166 country codes or null");
    }
    JsonArray out = new JsonArray();
    for (Object item : array) {
      if (!(item instanceof String code) || !COUNTRIES.contains(code.toUpperCase(Locale.ROOT))) {
        throw ApiException.invalid(field, "must contain only ISO 3166 alpha-2 country codes (or XK, AC, TA)");
      }
      if (!out.contains(code.toUpperCase(Locale.ROOT))) {
        out.add(code.toUpperCase(Locale.ROOT));
      }
    }
    return out;
  }
}
