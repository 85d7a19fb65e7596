package dev.portcullis.boot;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names the `PORTCULLIS_*` variables the gateway does not read: a misspelt one (`PORTCULLIS_PG_POOLSIZE`) is
 * otherwise ignored without a word, and the setting it meant keeps its default (h104). Only the name is logged, never
 * the value, which may be a secret. {@code UnknownSettingsTest} keeps this list equal to the names in the source.
 */
final class UnknownSettings {

  private static final Logger LOG = LoggerFactory.getLogger(UnknownSettings.class);
  private static final String PREFIX = "PORTCULLIS_";

  static final Set<String> KNOWN = Set.of(
      "PORTCULLIS_ADMIN_KEY",
      "PORTCULLIS_AUDIT_PARTITIONS_AHEAD",
      "PORTCULLIS_AUDIT_PARTITION_CHECK_SECONDS",
      "PORTCULLIS_AUDIT_VERIFY_BUDGET_MS",
      "PORTCULLIS_AUDIT_VERIFY_MAX_EVENTS",
      "PORTCULLIS_BACKEND_TIMEOUT_MS",
      "PORTCULLIS_CLIENT_FAILURES_PER_MINUTE_PER_IP",
      "PORTCULLIS_CLIENT_FAILURE_WINDOW_MS",
      "PORTCULLIS_CONVERSATIONS_PER_HOUR_PER_APP",
      "PORTCULLIS_HOUSEKEEPING_BATCH_SIZE",
      "PORTCULLIS_HOUSEKEEPING_INTERVAL_MS",
      "PORTCULLIS_HTTP_INSTANCES",
      "PORTCULLIS_HTTP_MAX_IN_FLIGHT",
      "PORTCULLIS_HTTP_PORT",
      "PORTCULLIS_ISSUER",
      "PORTCULLIS_LICENSE_CALLS_PER_MINUTE_PER_IP",
      "PORTCULLIS_LICENSE_CALLS_PER_MINUTE_PER_KEY",
      "PORTCULLIS_LICENSE_JOB_INTERVAL_MS",
      "PORTCULLIS_LICENSE_JOB_TIMEOUT_MS",
      "PORTCULLIS_LOG_FORMAT",
      "PORTCULLIS_MANAGEMENT_PORT",
      "PORTCULLIS_MASTER_KEY",
      "PORTCULLIS_MAX_APPS_PER_OWNER",
      "PORTCULLIS_OTP_DELIVERY_BACKOFF_MS",
      "PORTCULLIS_OTP_EMAIL_CHANNEL",
      "PORTCULLIS_OTP_EMAIL_WEBHOOK_URL",
      "PORTCULLIS_OTP_SENDS_PER_HOUR_PER_APP",
      "PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IDENTITY",
      "PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IP",
      "PORTCULLIS_OTP_SENDS_PER_HOUR_WITHOUT_CLIENT_IP",
      "PORTCULLIS_OTP_SMS_CHANNEL",
      "PORTCULLIS_OTP_SMS_WEBHOOK_URL",
      "PORTCULLIS_OWNER_ALLOWLIST",
      "PORTCULLIS_OWNER_SIGNUP",
      "PORTCULLIS_PASSWORD_HASH_ITERATIONS",
      "PORTCULLIS_PASSWORD_HASH_MEMORY_KIB",
      "PORTCULLIS_PASSWORD_HASH_NICE",
      "PORTCULLIS_PASSWORD_HASH_PARALLELISM",
      "PORTCULLIS_PASSWORD_HASH_QUEUE_PER_THREAD",
      "PORTCULLIS_PASSWORD_HASH_THREADS",
      "PORTCULLIS_PG_MIGRATION_URL",
      "PORTCULLIS_PG_POOL_SIZE",
      "PORTCULLIS_PG_URL",
      "PORTCULLIS_REDIS_MASTER_NAME",
      "PORTCULLIS_REDIS_MODE",
      "PORTCULLIS_REDIS_PREFIX",
      "PORTCULLIS_REDIS_URL",
      "PORTCULLIS_SECURITY_WEBHOOK_SECRET",
      "PORTCULLIS_SECURITY_WEBHOOK_URL",
      "PORTCULLIS_SIGNING_PROVIDER",
      "PORTCULLIS_SMS_MAX_SENDS_PER_HOUR",
      "PORTCULLIS_SMS_MAX_SENDS_PER_HOUR_PER_APP",
      "PORTCULLIS_SMS_MAX_SENDS_PER_HOUR_PER_OWNER",
      "PORTCULLIS_SMTP_FROM",
      "PORTCULLIS_SMTP_HOST",
      "PORTCULLIS_SMTP_PASSWORD",
      "PORTCULLIS_SMTP_PORT",
      "PORTCULLIS_SMTP_STARTTLS",
      "PORTCULLIS_SMTP_USERNAME",
      "PORTCULLIS_TRUSTED_PROXIES",
      "PORTCULLIS_WEBHOOK_SECRET");

  private UnknownSettings() {
  }

  /** The `PORTCULLIS_*` names of the configuration that no setting has, sorted. */
  static List<String> of(JsonObject config) {
    return config.fieldNames().stream()
        .filter(name -> name.startsWith(PREFIX) && !KNOWN.contains(name))
        .sorted()
        .toList();
  }

  static void warn(JsonObject config) {
    for (String name : of(config)) {
      LOG.warn("{} is no setting of this gateway and is ignored (README, Configuration, lists them)", name);
    }
  }
}
