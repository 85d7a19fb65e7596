package dev.portcullis.audit;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Postgres;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.YearMonth;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the monthly partitions of {@code audit_events} ahead of time, and moves rows that landed in the
 * DEFAULT partition to their month, by calling {@code audit_partitions_ensure} (V100) at start and then
 * periodically. The function takes a Postgres advisory lock, so one process at a time does the work and the
 * others return at once. An insert never waits for this job: a month without its partition lands in DEFAULT.
 */
final class AuditPartitions {

  /** Months ahead of the current one whose partitions exist; 0 leaves only the current month. */
  static final String MONTHS_AHEAD = "PORTCULLIS_AUDIT_PARTITIONS_AHEAD";
  /** Seconds between two runs of the job. */
  static final String INTERVAL_SECONDS = "PORTCULLIS_AUDIT_PARTITION_CHECK_SECONDS";

  private static final Logger LOG = LoggerFactory.getLogger(AuditPartitions.class);
  private static final String ENSURE = "SELECT audit_partitions_ensure($1) AS created";

  private final Vertx vertx;
  private final Postgres pg;
  private final int monthsAhead;
  private final long intervalMs;
  private final Counter created;
  private final Counter failures;
  private long timer = -1;

  AuditPartitions(Vertx vertx, Postgres pg, GatewayConfig config, MeterRegistry registry) {
    this.vertx = vertx;
    this.pg = pg;
    this.monthsAhead = monthsAhead(config);
    this.intervalMs = intervalMs(config);
    this.created = Counter.builder("portcullis.audit.partitions.added")
        .description("Monthly audit partitions this process created (ahead of time, or for rows found in DEFAULT)")
        .register(registry);
    this.failures = Counter.builder("portcullis.audit.partitions.failures")
        .description("Runs of the audit partition job that failed (a month without its partition lands in DEFAULT)")
        .register(registry);
  }

  /** Runs the job now and then every interval; the first run's outcome does not hold up the start. */
  void start() {
    ensure();
    timer = vertx.setPeriodic(intervalMs, id -> ensure());
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** One run: the partitions created, or -1 when another process held the job's lock. */
  Future<Integer> ensure() {
    return pg.run(pool -> pool.preparedQuery(ENSURE).execute(Tuple.of(monthsAhead)))
        .map(rows -> {
          Row row = rows.iterator().next();
          return row.getInteger("created");
        })
        .onSuccess(count -> {
          if (count > 0) {
            created.increment(count);
            LOG.info("audit: created {} monthly partition(s) of audit_events", count);
          }
        })
        .onFailure(failure -> {
          failures.increment();
          LOG.warn("audit: the partition job failed, will run again: {}", failure.getMessage());
        });
  }

  /** The partition of a month, as V100's {@code audit_partition_create} names it. */
  static String name(YearMonth month) {
    return String.format("audit_events_%04d_%02d", month.getYear(), month.getMonthValue());
  }

  static int monthsAhead(GatewayConfig config) {
    return setting(config, MONTHS_AHEAD, 2, 0, 24);
  }

  static long intervalMs(GatewayConfig config) {
    return setting(config, INTERVAL_SECONDS, 3600, 1, 86_400) * 1000L;
  }

  private static int setting(GatewayConfig config, String key, int fallback, int min, int max) {
    return config.optional(key) == null ? fallback : config.integer(key, min, max);
  }
}
