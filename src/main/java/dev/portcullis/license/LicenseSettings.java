package dev.portcullis.license;

import dev.portcullis.core.GatewayConfig;

/** The gateway-wide settings of licenses (environment variables, defaults in conf/portcullis.yaml). */
public record LicenseSettings(int callsPerMinutePerIp, int callsPerMinutePerKey, long jobIntervalMs, long jobTimeoutMs) {

  static final String CALLS_PER_MINUTE_PER_IP = "PORTCULLIS_LICENSE_CALLS_PER_MINUTE_PER_IP";
  static final String CALLS_PER_MINUTE_PER_KEY = "PORTCULLIS_LICENSE_CALLS_PER_MINUTE_PER_KEY";
  /** How often the housekeeping job culls silent devices and handles expired licenses. */
  static final String JOB_INTERVAL_MS = "PORTCULLIS_LICENSE_JOB_INTERVAL_MS";
  /** How long one of the job's database calls (a batch's transaction) may take before the job stops waiting. */
  static final String JOB_TIMEOUT_MS = "PORTCULLIS_LICENSE_JOB_TIMEOUT_MS";

  public static LicenseSettings from(GatewayConfig config) {
    return new LicenseSettings(
        integer(config, CALLS_PER_MINUTE_PER_IP, 600, 1, 100_000_000),
        integer(config, CALLS_PER_MINUTE_PER_KEY, 120, 1, 100_000_000),
        integer(config, JOB_INTERVAL_MS, 30_000, 50, 3_600_000),
        integer(config, JOB_TIMEOUT_MS, 60_000, 100, 3_600_000));
  }

  private static int integer(GatewayConfig config, String key, int fallback, int min, int max) {
    return config.optional(key) == null ? fallback : config.integer(key, min, max);
  }
}
