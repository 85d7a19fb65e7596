package dev.portcullis.license;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** What ops watch about licenses: activations, refusals by reason, missed heartbeats (culled devices). */
final class LicenseMetrics {

  private final MeterRegistry registry;
  private final Counter activations;
  private final Counter reactivations;
  private final Counter heartbeats;
  private final Counter heartbeatsMissed;

  LicenseMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.activations = Counter.builder("portcullis.license.activations")
        .description("Devices activated (a seat taken)").tag("kind", "new").register(registry);
    this.reactivations = Counter.builder("portcullis.license.activations")
        .description("Devices activated (a seat taken)").tag("kind", "repeat").register(registry);
    this.heartbeats = Counter.builder("portcullis.license.heartbeats")
        .description("Device heartbeats received").register(registry);
    this.heartbeatsMissed = Counter.builder("portcullis.license.heartbeats.missed")
        .description("Devices deactivated by the housekeeping job for missing two heartbeats").register(registry);
    // The refusals an alert reads exist from the start at 0: rate() and increase() need a sample before the first
    // event, which is otherwise lost to them after every start.
    java.util.List.of("invalid_license", "rate_limited", "device_limit_reached", "max_activations_per_day",
        "license_expired").forEach(this::refusals);
  }

  private Counter refusals(String reason) {
    return Counter.builder("portcullis.license.refusals")
        .description("Device calls refused, by reason")
        .tag("reason", reason)
        .register(registry);
  }

  void activated(boolean created) {
    (created ? activations : reactivations).increment();
  }

  /** reason: device_limit_reached, max_activations_per_day, license_expired, invalid_license, rate_limited, ... */
  void refused(String reason) {
    refusals(reason).increment();
  }

  void heartbeat() {
    heartbeats.increment();
  }

  void heartbeatsMissed(int devices) {
    heartbeatsMissed.increment(devices);
  }
}
