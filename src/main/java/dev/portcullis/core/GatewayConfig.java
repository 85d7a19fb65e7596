package dev.portcullis.core;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The gateway's configuration: {@code conf/portcullis.yaml} overridden by environment variables of the same
 * names. Validated once at start; a bad value stops the start with a message naming the key.
 */
public final class GatewayConfig {

  public static final String HTTP_PORT = "PORTCULLIS_HTTP_PORT";
  public static final String MANAGEMENT_PORT = "PORTCULLIS_MANAGEMENT_PORT";
  public static final String HTTP_INSTANCES = "PORTCULLIS_HTTP_INSTANCES";
  public static final String HTTP_MAX_IN_FLIGHT = "PORTCULLIS_HTTP_MAX_IN_FLIGHT";
  static final int DEFAULT_HTTP_MAX_IN_FLIGHT = 256;
  public static final String PG_URL = "PORTCULLIS_PG_URL";
  /** The role Flyway runs as (the tables' owner); unset: the same as {@link #PG_URL}. */
  public static final String PG_MIGRATION_URL = "PORTCULLIS_PG_MIGRATION_URL";
  public static final String PG_POOL_SIZE = "PORTCULLIS_PG_POOL_SIZE";
  public static final String REDIS_URL = "PORTCULLIS_REDIS_URL";
  public static final String REDIS_PREFIX = "PORTCULLIS_REDIS_PREFIX";
  public static final String REDIS_MODE = "PORTCULLIS_REDIS_MODE";
  public static final String REDIS_MASTER_NAME = "PORTCULLIS_REDIS_MASTER_NAME";
  public static final String ISSUER = "PORTCULLIS_ISSUER";
  public static final String SIGNING_PROVIDER = "PORTCULLIS_SIGNING_PROVIDER";
  public static final String BACKEND_TIMEOUT_MS = "PORTCULLIS_BACKEND_TIMEOUT_MS";
  public static final String ADMIN_KEY = "PORTCULLIS_ADMIN_KEY";
  public static final String MASTER_KEY = "PORTCULLIS_MASTER_KEY";
  public static final String OTP_EMAIL_CHANNEL = "PORTCULLIS_OTP_EMAIL_CHANNEL";
  public static final String OTP_SMS_CHANNEL = "PORTCULLIS_OTP_SMS_CHANNEL";
  public static final String OTP_EMAIL_WEBHOOK_URL = "PORTCULLIS_OTP_EMAIL_WEBHOOK_URL";
  public static final String OTP_SMS_WEBHOOK_URL = "PORTCULLIS_OTP_SMS_WEBHOOK_URL";
  public static final String WEBHOOK_SECRET = "PORTCULLIS_WEBHOOK_SECRET";
  public static final String SMTP_HOST = "PORTCULLIS_SMTP_HOST";
  public static final String SMTP_PORT = "PORTCULLIS_SMTP_PORT";
  public static final String SMTP_USERNAME = "PORTCULLIS_SMTP_USERNAME";
  public static final String SMTP_PASSWORD = "PORTCULLIS_SMTP_PASSWORD";
  public static final String SMTP_FROM = "PORTCULLIS_SMTP_FROM";
  public static final String SMTP_STARTTLS = "PORTCULLIS_SMTP_STARTTLS";
  public static final String OTP_SENDS_PER_HOUR_PER_IP = "PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IP";
  public static final String OTP_SENDS_PER_HOUR_PER_APP = "PORTCULLIS_OTP_SENDS_PER_HOUR_PER_APP";
  public static final String OTP_SENDS_PER_HOUR_WITHOUT_CLIENT_IP = "PORTCULLIS_OTP_SENDS_PER_HOUR_WITHOUT_CLIENT_IP";
  public static final String OTP_SENDS_PER_HOUR_PER_IDENTITY = "PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IDENTITY";
  public static final String SMS_MAX_SENDS_PER_HOUR_PER_APP = "PORTCULLIS_SMS_MAX_SENDS_PER_HOUR_PER_APP";
  public static final String SMS_MAX_SENDS_PER_HOUR_PER_OWNER = "PORTCULLIS_SMS_MAX_SENDS_PER_HOUR_PER_OWNER";
  public static final String SMS_MAX_SENDS_PER_HOUR = "PORTCULLIS_SMS_MAX_SENDS_PER_HOUR";
  public static final String CONVERSATIONS_PER_HOUR_PER_APP = "PORTCULLIS_CONVERSATIONS_PER_HOUR_PER_APP";
  public static final String OWNER_SIGNUP = "PORTCULLIS_OWNER_SIGNUP";
  public static final String OWNER_ALLOWLIST = "PORTCULLIS_OWNER_ALLOWLIST";
  public static final String MAX_APPS_PER_OWNER = "PORTCULLIS_MAX_APPS_PER_OWNER";
  public static final String TRUSTED_PROXIES = "PORTCULLIS_TRUSTED_PROXIES";
  public static final String LOG_FORMAT = "PORTCULLIS_LOG_FORMAT";
  public static final String HOUSEKEEPING_INTERVAL_MS = "PORTCULLIS_HOUSEKEEPING_INTERVAL_MS";
  public static final String HOUSEKEEPING_BATCH_SIZE = "PORTCULLIS_HOUSEKEEPING_BATCH_SIZE";
  public static final String SECURITY_WEBHOOK_URL = "PORTCULLIS_SECURITY_WEBHOOK_URL";
  public static final String SECURITY_WEBHOOK_SECRET = "PORTCULLIS_SECURITY_WEBHOOK_SECRET";
  public static final String OTP_DELIVERY_BACKOFF_MS = "PORTCULLIS_OTP_DELIVERY_BACKOFF_MS";
  public static final String CLIENT_FAILURES_PER_MINUTE_PER_IP = "PORTCULLIS_CLIENT_FAILURES_PER_MINUTE_PER_IP";
  public static final String CLIENT_FAILURE_WINDOW_MS = "PORTCULLIS_CLIENT_FAILURE_WINDOW_MS";
  /** Set by the launcher, never by the environment: true in {@code start-dev}. */
  public static final String DEV_MODE = "portcullis.dev-mode";

  private final JsonObject json;

  private GatewayConfig(JsonObject json) {
    this.json = json;
  }

  /**
   * The merged configuration for a command-line tool that reads a few keys (the audit commands: the master key,
   * the Postgres URLs): each is validated as it is read, and nothing the gateway alone needs (an issuer, an admin
   * key) is required.
   */
  public static GatewayConfig forTool(JsonObject json) {
    return new GatewayConfig(json.copy());
  }

  /** Validates the merged configuration; throws {@link IllegalArgumentException} naming the bad key. */
  public static GatewayConfig from(JsonObject json) {
    GatewayConfig config = new GatewayConfig(json.copy());
    if (config.port(HTTP_PORT) == config.port(MANAGEMENT_PORT) && config.port(HTTP_PORT) != 0) {
      // Vert.x would share the port between the two servers, answering each request from either at random.
      throw new IllegalArgumentException(MANAGEMENT_PORT + " must differ from " + HTTP_PORT);
    }
    config.intIn(HTTP_INSTANCES, 0, 256);
    config.httpMaxInFlight();
    config.intIn(PG_POOL_SIZE, 1, 1000);
    config.pgMigrationUrl();
    config.intIn(BACKEND_TIMEOUT_MS, 100, 60_000);
    config.pgUrl();
    config.redisMode();
    config.redisNodes();
    config.redisPrefix();
    config.issuerUrl();
    config.signingProvider();
    config.channel(OTP_EMAIL_CHANNEL, true);
    config.channel(OTP_SMS_CHANNEL, false);
    if (!config.devMode()) {
      config.requireMasterKey();
    } else if (config.optional(MASTER_KEY) != null) {
      config.masterKey();
    }
    config.strongSecret(ADMIN_KEY, 24);
    config.strongSecret(WEBHOOK_SECRET, 16);
    config.webhookSettings(OTP_EMAIL_CHANNEL, OTP_EMAIL_WEBHOOK_URL);
    config.webhookSettings(OTP_SMS_CHANNEL, OTP_SMS_WEBHOOK_URL);
    config.securityWebhookSettings();
    config.validateOwnerSignup();
    config.logFormat();
    config.maxAppsPerOwner();
    config.clientFailureWindowMs();
    config.clientFailuresPerMinutePerIp();
    config.housekeepingBatchSize();
    config.housekeepingIntervalMs();
    config.otpDeliveryBackoffMs();
    if ("smtp".equals(config.string(OTP_EMAIL_CHANNEL))) {
      config.smtpSettings();
    }
    return config;
  }

  public JsonObject json() {
    return json.copy();
  }

  public boolean devMode() {
    return json.getBoolean(DEV_MODE, false);
  }

  public int httpPort() {
    return port(HTTP_PORT);
  }

  /** A server that could not listen, named by its port's key: "Address already in use" alone named neither. */
  public static IllegalStateException listenFailure(String key, int port, Throwable failure) {
    return new IllegalStateException(key + " " + port + ": " + failure.getMessage(), failure);
  }

  public int managementPort() {
    return port(MANAGEMENT_PORT);
  }

  public int httpInstances() {
    int configured = intIn(HTTP_INSTANCES, 0, 256);
    return configured == 0 ? Runtime.getRuntime().availableProcessors() : configured;
  }

  /**
   * Requests one HTTP verticle serves at once before it answers 503 at once; 0 = no limit. Unset or empty (a
   * template that left the variable blank) is the documented default, not "no limit" (h104).
   */
  public int httpMaxInFlight() {
    return integer(HTTP_MAX_IN_FLIGHT, DEFAULT_HTTP_MAX_IN_FLIGHT, 0, 1_000_000);
  }

  public int pgPoolSize() {
    return intIn(PG_POOL_SIZE, 1, 1000);
  }

  public long backendTimeoutMs() {
    return intIn(BACKEND_TIMEOUT_MS, 100, 60_000);
  }

  public String redisUrl() {
    return string(REDIS_URL);
  }

  /** How the gateway reaches Redis: one server, a Sentinel set, or a Cluster. */
  public enum RedisMode { STANDALONE, SENTINEL, CLUSTER }

  public RedisMode redisMode() {
    return choice(REDIS_MODE, RedisMode.STANDALONE);
  }

  /**
   * What computes RS256 signatures: the system's OpenSSL 3 when it loads ({@code auto}), OpenSSL or fail to start
   * ({@code openssl}), or the JDK ({@code jdk}).
   */
  public enum SigningProvider { AUTO, OPENSSL, JDK }

  public SigningProvider signingProvider() {
    return choice(SIGNING_PROVIDER, SigningProvider.AUTO);
  }

  /** One of an enum's constants, written in any case; {@code fallback} when unset. */
  private <E extends Enum<E>> E choice(String key, E fallback) {
    String value = optional(key);
    if (value == null) {
      return fallback;
    }
    Class<E> type = fallback.getDeclaringClass();
    try {
      return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      String allowed = Arrays.stream(type.getEnumConstants())
          .map(constant -> constant.name().toLowerCase(Locale.ROOT))
          .collect(Collectors.joining(", "));
      throw new IllegalArgumentException(key + " must be one of " + allowed + ", got '" + value + "'");
    }
  }

  /**
   * The Redis endpoints: the one server in standalone mode; in sentinel mode the sentinels, in cluster mode
   * any of the cluster's nodes ({@link #REDIS_URL} then being a comma-separated list).
   */
  public List<String> redisNodes() {
    List<String> nodes = Arrays.stream(string(REDIS_URL).split(","))
        .map(String::trim)
        .filter(node -> !node.isEmpty())
        .toList();
    if (nodes.size() != 1 && redisMode() == RedisMode.STANDALONE) {
      throw new IllegalArgumentException(REDIS_URL + " must be one redis:// URL when " + REDIS_MODE + " is standalone");
    }
    nodes.forEach(node -> redisUrl(REDIS_URL, node));
    return nodes;
  }

  /** The name Sentinel knows the master by. */
  public String redisMasterName() {
    String name = optional(REDIS_MASTER_NAME);
    return name == null ? "mymaster" : name;
  }

  public String redisPrefix() {
    String prefix = optional(REDIS_PREFIX);
    if (prefix != null && (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0)) {
      // A brace would become the hash tag of every key, so the keys of one script would no longer share a slot.
      throw new IllegalArgumentException(REDIS_PREFIX + " must not contain '{' or '}'");
    }
    return prefix == null ? "pc:" : prefix;
  }

  public String issuer() {
    return string(ISSUER);
  }

  /** The admin key, or null when the admin key is disabled. */
  public String adminKey() {
    return optional(ADMIN_KEY);
  }

  public byte[] masterKey() {
    String value = optional(MASTER_KEY);
    if (value == null) {
      throw new IllegalArgumentException(MASTER_KEY + " is required outside dev mode (base64 of 32 bytes)");
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(value.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(MASTER_KEY + " must be base64 of 32 bytes");
    }
    if (key.length != 32) {
      throw new IllegalArgumentException(MASTER_KEY + " must be base64 of 32 bytes, got " + key.length + " bytes");
    }
    return key;
  }

  public PgUrl pgUrl() {
    return PgUrl.parse(PG_URL, string(PG_URL));
  }

  /** Where migrations run: {@link #PG_MIGRATION_URL} when set, else {@link #PG_URL}. */
  public PgUrl pgMigrationUrl() {
    String value = optional(PG_MIGRATION_URL);
    return value == null ? pgUrl() : PgUrl.parse(PG_MIGRATION_URL, value);
  }

  public String string(String key) {
    String value = optional(key);
    if (value == null) {
      throw new IllegalArgumentException(key + " is required");
    }
    return value;
  }

  /** A trimmed value, or null when missing or blank. */
  public String optional(String key) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    String text = String.valueOf(value).trim();
    return text.isEmpty() ? null : text;
  }

  public int integer(String key, int min, int max) {
    return intIn(key, min, max);
  }

  /** An optional integer setting: {@code defaultValue} when unset, else validated like a required one. */
  public int integer(String key, int defaultValue, int min, int max) {
    return optional(key) == null ? defaultValue : intIn(key, min, max);
  }

  public boolean bool(String key) {
    String value = optional(key);
    if (value == null) {
      return false;
    }
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new IllegalArgumentException(key + " must be true or false");
    };
  }

  /** An optional secret, when set, must be long enough and not a placeholder copied from an example. */
  private void strongSecret(String key, int minLength) {
    String value = optional(key);
    if (value == null) {
      return;
    }
    if (value.toUpperCase(Locale.ROOT).contains("CHANGE-ME")) {
      throw new IllegalArgumentException(key + " holds an example's CHANGE-ME placeholder: set the real value"
          + (minLength > 1 ? ", a random one of at least " + minLength + " characters" : ""));
    }
    if (value.length() < minLength) {
      throw new IllegalArgumentException(key + " must be a random value of at least " + minLength + " characters");
    }
  }

  private void requireMasterKey() {
    masterKey();
  }

  private int port(String key) {
    return intIn(key, 0, 65535);
  }

  private int intIn(String key, int min, int max) {
    String value = string(key);
    int parsed;
    try {
      parsed = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got '" + value + "'");
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + parsed);
    }
    return parsed;
  }

  private void url(String key, String... schemes) {
    checkUrl(key, string(key), schemes);
  }

  private static void redisUrl(String key, String value) {
    checkUrl(key, value, "redis", "rediss");
    String path = URI.create(value).getRawPath();
    if (path != null && !path.isEmpty() && !path.matches("/\\d{0,5}")) {
      throw new IllegalArgumentException(key + ": the path, if any, is the database number (redis://host:6379/0)");
    }
  }

  /** Refuses a {@link #REDIS_URL} node that is not a redis:// or rediss:// URL with a host, naming the key. */
  public static void checkRedisUrl(String value) {
    redisUrl(REDIS_URL, value);
  }

  private static void checkUrl(String key, String value, String... schemes) {
    URI uri;
    try {
      uri = URI.create(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + " is not a valid URL");
    }
    boolean known = false;
    for (String scheme : schemes) {
      known |= scheme.equalsIgnoreCase(uri.getScheme()) && uri.getHost() != null;
    }
    if (!known) {
      throw new IllegalArgumentException(key + " must be a " + String.join(" or ", schemes) + " URL with a host");
    }
    if (uri.getPort() == 0 || uri.getPort() > 65535) {
      throw new IllegalArgumentException(key + ": the port must be 1 to 65535");
    }
  }

  private void channel(String key, boolean smtpAllowed) {
    String value = string(key);
    boolean ok = value.equals("log") || value.equals("webhook") || (smtpAllowed && value.equals("smtp"));
    if (!ok) {
      throw new IllegalArgumentException(key + " must be one of " + (smtpAllowed ? "smtp, webhook, log" : "webhook, log"));
    }
  }

  /** {@code json} or {@code text} (the default). */
  public String logFormat() {
    String value = optional(LOG_FORMAT);
    if (value == null) {
      return "text";
    }
    String format = value.toLowerCase(Locale.ROOT);
    if (!format.equals("json") && !format.equals("text")) {
      throw new IllegalArgumentException(LOG_FORMAT + " must be json or text");
    }
    return format;
  }

  /** How owners come to be: {@code open}, {@code allowlist} or {@code closed} (default open in dev mode only). */
  public String ownerSignup() {
    String value = optional(OWNER_SIGNUP);
    if (value == null) {
      return devMode() ? "open" : "closed";
    }
    return value.toLowerCase(Locale.ROOT);
  }

  public int maxAppsPerOwner() {
    return integer(MAX_APPS_PER_OWNER, 20, 1, 1_000_000);
  }

  public int clientFailureWindowMs() {
    return integer(CLIENT_FAILURE_WINDOW_MS, 60_000, 500, 3_600_000);
  }

  public int clientFailuresPerMinutePerIp() {
    return integer(CLIENT_FAILURES_PER_MINUTE_PER_IP, 600, 1, 1_000_000);
  }

  /** Rows one delete statement of a housekeeping job takes (sessions, tokens, keys; licences and devices). */
  public int housekeepingBatchSize() {
    return integer(HOUSEKEEPING_BATCH_SIZE, 500, 1, 100_000);
  }

  public int housekeepingIntervalMs() {
    return integer(HOUSEKEEPING_INTERVAL_MS, 300_000, 100, 86_400_000);
  }

  /** The wait before an OTP delivery's first retry (codes and password verification codes alike). */
  public int otpDeliveryBackoffMs() {
    return integer(OTP_DELIVERY_BACKOFF_MS, 500, 1, 60_000);
  }

  /** sender@example.com, or Name <sender@example.com>. */
  private static final String ADDRESS = "[^@\\s<>]+@[^@\\s<>.]+(\\.[^@\\s<>.]+)+";
  private static final java.util.regex.Pattern SENDER =
      java.util.regex.Pattern.compile(ADDRESS + "|[^<>]*<" + ADDRESS + ">");

  /** A DNS name or an IPv4 address: letters, digits and hyphens in dot-separated labels. */
  private static final String LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
  private static final java.util.regex.Pattern HOST_NAME =
      java.util.regex.Pattern.compile(LABEL + "(\\." + LABEL + ")*");

  /** With the smtp email channel: a host, a port, STARTTLS true or false, and a sender address. */
  private void smtpSettings() {
    String host = optional(SMTP_HOST);
    if (host == null) {
      throw new IllegalArgumentException(SMTP_HOST + " is required when " + OTP_EMAIL_CHANNEL + " is smtp");
    }
    // A URL or host:port here was taken, and every code's delivery failed at its first send instead (h104).
    if (!HOST_NAME.matcher(host).matches() && !io.netty.util.NetUtil.isValidIpV6Address(host)) {
      throw new IllegalArgumentException(SMTP_HOST + " must be a host name or an IP address, without a scheme or a "
          + "port (the port is " + SMTP_PORT + ")");
    }
    integer(SMTP_PORT, 1, 65535);
    bool(SMTP_STARTTLS);
    if ((optional(SMTP_USERNAME) == null) != (optional(SMTP_PASSWORD) == null)) {
      throw new IllegalArgumentException(SMTP_USERNAME + " and " + SMTP_PASSWORD + " go together: set both or neither");
    }
    // The provider sets the password's length; only the example's placeholder is refused (h88).
    strongSecret(SMTP_PASSWORD, 1);
    String from = string(SMTP_FROM);
    if (!SENDER.matcher(from).matches()) {
      throw new IllegalArgumentException(SMTP_FROM + " must be an email address: sender@example.com, or "
          + "Name <sender@example.com>");
    }
  }

  private void validateOwnerSignup() {
    String mode = ownerSignup();
    if (!mode.equals("open") && !mode.equals("allowlist") && !mode.equals("closed")) {
      throw new IllegalArgumentException(OWNER_SIGNUP + " must be one of open, allowlist, closed");
    }
    if (mode.equals("closed") && adminKey() == null) {
      throw new IllegalArgumentException(OWNER_SIGNUP + " is closed (the default outside dev mode) but "
          + ADMIN_KEY + " is unset: nobody could create an owner; set " + ADMIN_KEY + " or " + OWNER_SIGNUP);
    }
    if (mode.equals("allowlist") && optional(OWNER_ALLOWLIST) == null) {
      throw new IllegalArgumentException(OWNER_ALLOWLIST + " is required when " + OWNER_SIGNUP + " is allowlist");
    }
  }

  /** Outside dev mode the issuer is required and https (http only on a loopback host). */
  private void issuerUrl() {
    if (optional(ISSUER) == null) {
      throw new IllegalArgumentException(ISSUER + " is required outside dev mode (the https URL clients reach)");
    }
    secureUrl(ISSUER);
    // OpenID Connect Discovery 3 and RFC 8414 2: an issuer has no query or fragment; every endpoint URL is built
    // by appending to it, and user info would hand credentials to every client.
    URI issuer = URI.create(string(ISSUER));
    if (issuer.getRawQuery() != null || issuer.getRawFragment() != null || issuer.getRawUserInfo() != null) {
      throw new IllegalArgumentException(ISSUER + " must have no query, fragment or user info");
    }
  }

  /**
   * A URL the gateway trusts or hands out: outside dev mode it must be {@code https}, except on a loopback host
   * ({@code localhost}, 127.0.0.0/8, {@code [::1]}), where plain {@code http} is allowed.
   */
  private void secureUrl(String key) {
    url(key, "http", "https");
    URI uri = URI.create(string(key));
    if (devMode() || "https".equalsIgnoreCase(uri.getScheme()) || isLoopback(uri.getHost())) {
      return;
    }
    throw new IllegalArgumentException(key + " must be an https URL outside dev mode (plain http only to localhost, "
        + "127.0.0.0/8 or [::1])");
  }

  static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (bare.equalsIgnoreCase("localhost") || bare.equals("::1") || bare.equals("0:0:0:0:0:0:0:1")) {
      return true;
    }
    String[] parts = bare.split("\\.");
    if (parts.length != 4 || !parts[0].equals("127")) {
      return false;
    }
    for (String part : parts) {
      if (!part.matches("[0-9]{1,3}") || Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }

  /** The HMAC key of the security webhook: its own secret, else the OTP webhook's. */
  public String securityWebhookSecret() {
    String own = optional(SECURITY_WEBHOOK_SECRET);
    return own != null ? own : string(WEBHOOK_SECRET);
  }

  private void securityWebhookSettings() {
    strongSecret(SECURITY_WEBHOOK_SECRET, 16);
    if (optional(SECURITY_WEBHOOK_URL) == null) {
      return;
    }
    secureUrl(SECURITY_WEBHOOK_URL);
    if (optional(SECURITY_WEBHOOK_SECRET) == null && optional(WEBHOOK_SECRET) == null) {
      throw new IllegalArgumentException(SECURITY_WEBHOOK_SECRET + " (or " + WEBHOOK_SECRET + ") is required when "
          + SECURITY_WEBHOOK_URL + " is set");
    }
  }

  private void webhookSettings(String channelKey, String urlKey) {
    if (optional(urlKey) != null) {
      secureUrl(urlKey); // also while another channel is chosen: switching the channel later must not be what fails
    }
    if (!"webhook".equals(string(channelKey))) {
      return;
    }
    if (optional(urlKey) == null) {
      throw new IllegalArgumentException(urlKey + " is required when " + channelKey + " is webhook");
    }
    secureUrl(urlKey);
    if (optional(WEBHOOK_SECRET) == null) {
      throw new IllegalArgumentException(WEBHOOK_SECRET + " is required when " + channelKey + " is webhook");
    }
  }
}
