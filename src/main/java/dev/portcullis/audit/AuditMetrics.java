package dev.portcullis.audit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The audit verticle's meters. No label carries an app, a user or an event id. */
final class AuditMetrics {

  static final String UNAVAILABLE = "unavailable";
  static final String REJECTED = "rejected";
  static final String ERROR = "error";

  private final MeterRegistry registry;
  private final DistributionSummary batchSize;
  private final Timer commit;
  private final Timer lag;
  private final Counter written;
  private final Counter conflicts;
  private final Map<String, Counter> failures;
  private final AtomicInteger depth = new AtomicInteger();
  private final Gauge queueDepth;

  AuditMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.batchSize = DistributionSummary.builder("portcullis.audit.batch.size")
        .description("Events per committed audit batch")
        .register(registry);
    this.commit = Timer.builder("portcullis.audit.commit")
        .description("Time to write and commit one audit batch")
        .register(registry);
    this.lag = Timer.builder("portcullis.audit.lag")
        .description("Time from the arrival of a batch's oldest audit event to its commit")
        .register(registry);
    this.written = Counter.builder("portcullis.audit.events.written")
        .description("Audit events committed")
        .register(registry);
    this.conflicts = Counter.builder("portcullis.audit.conflicts")
        .description("Audit appends that found a chain head moved by another process and wrote nothing (the batch is then written again)")
        .register(registry);
    this.failures = Map.of(UNAVAILABLE, failures(UNAVAILABLE), REJECTED, failures(REJECTED), ERROR, failures(ERROR));
    this.queueDepth = Gauge.builder("portcullis.audit.queue.depth", depth, AtomicInteger::get)
        .description("Audit events received and not yet committed")
        .strongReference(true)
        .register(registry);
  }

  void committed(int events, long startedNanos, long oldestArrivalNanos) {
    long now = System.nanoTime();
    batchSize.record(events);
    commit.record(now - startedNanos, TimeUnit.NANOSECONDS);
    lag.record(now - oldestArrivalNanos, TimeUnit.NANOSECONDS);
    written.increment(events);
  }

  void conflict() {
    conflicts.increment();
  }

  /** Events that were not stored, by reason: {@link #UNAVAILABLE}, {@link #REJECTED} or {@link #ERROR}. */
  void failed(String reason, int events) {
    failures.get(reason).increment(events);
  }

  void queueDepth(int events) {
    depth.set(events);
  }

  void close() {
    registry.remove(queueDepth);
  }

  private Counter failures(String reason) {
    return Counter.builder("portcullis.audit.failures")
        .description("Audit events not stored, by reason")
        .tag("reason", reason)
        .register(registry);
  }
}
