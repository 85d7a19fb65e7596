package dev.portcullis.management;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far this process's clock is from Postgres's, as the gauge {@code portcullis_clock_offset_seconds} (positive:
 * this process runs ahead) and a warning past {@link #WARN_MS}. Tokens, certificates, audit dates and webhook
 * times come from the process's clock, while sessions, licences and codes live by the stores' clocks: pods whose
 * clocks drift apart refuse each other's tokens and date audit events out of order (README, "Clocks").
 */
final class ClockSkew {

  static final long WARN_MS = 5_000;

  private static final Logger LOG = LoggerFactory.getLogger(ClockSkew.class);

  private final AtomicLong offsetMs = new AtomicLong();
  private boolean warned;

  ClockSkew(MeterRegistry registry) {
    Gauge.builder("portcullis.clock.offset.seconds", offsetMs, offset -> offset.get() / 1000.0)
        .description("This process's clock minus Postgres's, in seconds (the middle of the query's round trip)")
        .register(registry);
  }

  /** A reading of the database's clock, taken between {@code sentMs} and {@code receivedMs} on this one's. */
  void measured(long sentMs, long receivedMs, double databaseEpochSeconds) {
    long offset = (sentMs + receivedMs) / 2 - Math.round(databaseEpochSeconds * 1000);
    offsetMs.set(offset);
    boolean off = Math.abs(offset) > WARN_MS;
    if (off && !warned) {
      LOG.warn("this process's clock is {} ms {} Postgres's: tokens it issues look expired early or late to other "
          + "processes and audit events are dated out of order; check NTP on this node", Math.abs(offset),
          offset > 0 ? "ahead of" : "behind");
    } else if (!off && warned) {
      LOG.info("this process's clock is within {} ms of Postgres's again", WARN_MS);
    }
    warned = off;
  }
}
