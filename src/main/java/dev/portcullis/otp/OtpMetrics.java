package dev.portcullis.otp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The OTP counters. Labels are channels, transports and reasons: never an address, an app or a user.
 *
 * <p>Each counter is registered once and then held, so the hot path increments a counter instead of building
 * and looking up a meter per call. Counters without a label or labelled by channel exist from the start (at 0,
 * which {@code rate()} needs), the delivery failures of each configured transport and the main refusal reasons
 * too; other reasons are registered on first use.
 */
public final class OtpMetrics {

  private final Map<Identity.Kind, Counter> sent = new EnumMap<>(Identity.Kind.class);
  private final Map<String, Counter> failed = new ConcurrentHashMap<>();
  private final Map<String, Counter> rateLimited = new ConcurrentHashMap<>();
  private final Map<String, Counter> deliveryFailures = new ConcurrentHashMap<>();
  private final Map<Identity.Kind, Counter> verified = new EnumMap<>(Identity.Kind.class);
  private final Counter burned;
  private final MeterRegistry registry;

  public OtpMetrics(MeterRegistry registry) {
    this.registry = registry;
    // Filled here and never written again: safe to read from any thread.
    for (Identity.Kind kind : Identity.Kind.values()) {
      sent.put(kind, counter("portcullis.otp.sent", "codes accepted for delivery", "channel", kind.channel()));
      verified.put(kind, counter("portcullis.otp.verified", "codes verified", "channel", kind.channel()));
    }
    this.burned = Counter.builder("portcullis.otp.burned").description("OTP requests burned by wrong codes")
        .register(registry);
    // The refusals an alert reads (SMS pumping among them) exist from the start at 0 too: rate() and increase()
    // need a sample before the first event, which is otherwise lost to them after every start.
    List.of("invalid", "expired", "burned").forEach(this::failedCounter);
    List.of("identity_hourly", "ip_hourly", "sms_hourly", "sms_country_hourly").forEach(this::rateLimitedCounter);
  }

  /** portcullis_otp_sent_total{channel=email|sms} */
  public void sent(Identity.Kind kind) {
    sent.get(kind).increment();
  }

  /** portcullis_otp_verified_total{channel=email|sms} */
  public void verified(Identity.Kind kind) {
    verified.get(kind).increment();
  }

  /** portcullis_otp_failed_total{reason=invalid|expired|burned}: verifications that did not succeed. */
  public void failed(String reason) {
    failedCounter(reason).increment();
  }

  private Counter failedCounter(String reason) {
    return held(failed, reason, value -> counter("portcullis.otp.failed", "verifications refused", "reason", value));
  }

  /** portcullis_otp_burned_total: requests that reached their maximum of wrong codes. */
  public void burned() {
    burned.increment();
  }

  /** portcullis_otp_delivery_failures_total{channel, transport}: messages given up on after the last attempt. */
  public void deliveryFailed(Identity.Kind kind, String transport) {
    deliveryFailures(kind, transport).increment();
  }

  /** The delivery failures of one channel and its transport, registered (at 0) on the first call. */
  Counter deliveryFailures(Identity.Kind kind, String transport) {
    return held(deliveryFailures, kind.channel() + "/" + transport,
        ignored -> Counter.builder("portcullis.otp.delivery.failures")
            .description("OTP messages that could not be delivered")
            .tag("channel", kind.channel())
            .tag("transport", transport)
            .register(registry));
  }

  /** portcullis_otp_rate_limited_total{reason}: sends and verifications refused by a limit or a lockout. */
  public void rateLimited(String reason) {
    rateLimitedCounter(reason).increment();
  }

  private Counter rateLimitedCounter(String reason) {
    return held(rateLimited, reason,
        value -> counter("portcullis.otp.rate.limited", "OTP requests refused by a rate limit", "reason", value));
  }

  private static Counter held(Map<String, Counter> counters, String key, Function<String, Counter> register) {
    Counter counter = counters.get(key);
    return counter != null ? counter : counters.computeIfAbsent(key, register);
  }

  private Counter counter(String name, String description, String tag, String value) {
    return Counter.builder(name).description(description).tag(tag, value).register(registry);
  }
}
