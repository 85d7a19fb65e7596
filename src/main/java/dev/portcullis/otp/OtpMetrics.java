package dev.portcullis.otp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The OTP counters. Labels are channels, transports and reasons: never an address, an app or a user. */
public final class OtpMetrics {

  private final MeterRegistry registry;

  public OtpMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** portcullis_otp_sent_total{channel=email|sms} */
  public void sent(Identity.Kind kind) {
    counter("portcullis.otp.sent", "codes accepted for delivery", "channel", kind.channel()).increment();
  }

  /** portcullis_otp_verified_total */
  public void verified() {
    Counter.builder("portcullis.otp.verified").description("codes verified").register(registry).increment();
  }

  /** portcullis_otp_failed_total{reason=invalid|expired|burned}: verifications that did not succeed. */
  public void failed(String reason) {
    counter("portcullis.otp.failed", "verifications refused", "reason", reason).increment();
  }

  /** portcullis_otp_burned_total: requests that reached their maximum of wrong codes. */
  public void burned() {
    Counter.builder("portcullis.otp.burned").description("OTP requests burned by wrong codes").register(registry)
        .increment();
  }

  /** portcullis_otp_delivery_failures_total{channel, transport}: messages given up on after the last attempt. */
  public void deliveryFailed(Identity.Kind kind, String transport) {
    Counter.builder("portcullis.otp.delivery.failures")
        .description("OTP messages that could not be delivered")
        .tag("channel", kind.channel())
        .tag("transport", transport)
        .register(registry)
        .increment();
  }

  /** portcullis_otp_rate_limited_total{reason}: sends and verifications refused by a limit or a lockout. */
  public void rateLimited(String reason) {
    counter("portcullis.otp.rate.limited", "OTP requests refused by a rate limit", "reason", reason).increment();
  }

  private Counter counter(String name, String description, String tag, String value) {
    return Counter.builder(name).description(description).tag(tag, value).register(registry);
  }
}
