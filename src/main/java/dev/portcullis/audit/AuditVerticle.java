package dev.portcullis.audit;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.messages.AuditMessages;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives audit events ({@link Bus#AUDIT_RECORD}) and stores them by group commit, hash-chained per app.
 * One instance per process; deployed first and undeployed last, and its {@link #stop()} commits every
 * event it holds before the process exits.
 */
public final class AuditVerticle extends VerticleBase {

  /** One batch in flight uses one connection; the second covers a transaction abandoned after a timeout. */
  private static final int POOL_SIZE = 2;

  private Postgres pg;
  private AuditMetrics metrics;
  private GroupCommit commits;
  private AuditPartitions partitions;
  private MessageConsumer<AuditMessages.Record> consumer;
  /** How often staged events (AuditOutbox) move into the chain; a drain that finds a full batch goes on at once. */
  private static final long OUTBOX_INTERVAL_MS = 100;
  /**
   * After a failed drain the next waits this long, doubling per failure up to {@link #OUTBOX_BACKOFF_MAX_MS}, and
   * back to the interval after a success: while the audit log refuses inserts, retrying every 100 ms only
   * multiplied the failures (and their stack traces). The staged events wait in the outbox meanwhile.
   */
  private static final long OUTBOX_BACKOFF_FIRST_MS = 200;
  private static final long OUTBOX_BACKOFF_MAX_MS = 5_000;
  private static final Logger LOG = LoggerFactory.getLogger(AuditVerticle.class);
  private long outboxTimer;
  private Postgres outboxPg;
  private AuditLog outboxLog;
  /** The outbox drain under way, or a completed future: a stop waits for it before the consumer it feeds goes. */
  private Future<Integer> drain = Future.succeededFuture(0);
  private boolean stopping;
  /** 0 while drains succeed, else the wait after the last failed one. */
  private long outboxBackoffMs;
  private long outboxNotBeforeNanos;

  /** Throws naming the key when one of the audit log's settings is bad (checked before the schema migrates). */
  public static void checkSettings(GatewayConfig config) {
    AuditPartitions.monthsAhead(config);
    AuditPartitions.intervalMs(config);
    AuditApi.verifyMaxEvents(config);
    AuditApi.verifyBudgetMs(config);
  }

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config, "portcullis-audit", POOL_SIZE);
    metrics = new AuditMetrics(Metrics.registry(vertx));
    AuditWriter writer = new AuditWriter(new AuditChainStore(pg), metrics, ChainHash.key(config.masterKey()));
    commits = new GroupCommit(vertx, writer::write, writer::rewrite, config.backendTimeoutMs() / 2, metrics);
    partitions = new AuditPartitions(vertx, pg, config, Metrics.registry(vertx));
    partitions.start();
    consumer = Bus.serve(vertx, Bus.AUDIT_RECORD, this::record);
    outboxPg = Postgres.create(vertx, config, "portcullis-audit-outbox", 1);
    // Staged events go through the bus like any other, so every reader of the audit stream sees them.
    outboxLog = new AuditLog(new Bus(vertx, config));
    outboxTimer = vertx.setPeriodic(OUTBOX_INTERVAL_MS, id -> drainOutbox());
    return Future.join(consumer.completion(), connect());
  }

  /** Opens a connection now, so the first batch does not spend its time budget on the handshake. */
  private Future<Void> connect() {
    return pg.run(pool -> pool.query("SELECT 1").execute()).<Void>mapEmpty().otherwiseEmpty();
  }

  @Override
  public Future<?> stop() {
    // Everything that reached us is committed first; the senders (HTTP, services) were undeployed before.
    partitions.stop();
    vertx.cancelTimer(outboxTimer);
    stopping = true;
    // A drain under way records through the consumer and reads through the pool closed below: it ends first, or it
    // fails on its way out and is logged as Postgres being unavailable (h94). What it leaves stays staged.
    return drain.<Void>mapEmpty().otherwiseEmpty()
        .compose(drained -> commits.drain())
        .eventually(consumer::unregister)
        .eventually(() -> {
          metrics.close();
          return Future.join(pg.close(), outboxPg.close()).mapEmpty();
        });
  }

  /** One drain at a time per process; pods drain side by side (SKIP LOCKED). */
  private void drainOutbox() {
    if (stopping || !drain.isComplete() || outboxBackoffMs > 0 && System.nanoTime() - outboxNotBeforeNanos < 0) {
      return;
    }
    drain = AuditOutbox.drain(outboxPg, outboxLog::record)
        .onComplete(done -> {
          if (stopping) {
            return;
          }
          if (done.failed()) {
            backOff(done.cause());
            return;
          }
          if (outboxBackoffMs > 0) {
            LOG.info("audit outbox: staged events move into the chain again");
            outboxBackoffMs = 0;
          }
          if (done.result() == AuditOutbox.BATCH) {
            drainOutbox();
          }
        });
  }

  /** Waits longer before the next drain; logs once per step, so a lasting failure logs once, not every try. */
  private void backOff(Throwable cause) {
    long next = outboxBackoffMs == 0 ? OUTBOX_BACKOFF_FIRST_MS : Math.min(outboxBackoffMs * 2, OUTBOX_BACKOFF_MAX_MS);
    if (next != outboxBackoffMs) {
      LOG.warn("audit outbox: staged events could not be moved into the chain ({}); they stay staged, next try in {} ms{}",
          cause.getMessage(), next, next == OUTBOX_BACKOFF_MAX_MS ? " and then every " + next + " ms until one succeeds" : "");
    }
    outboxBackoffMs = next;
    outboxNotBeforeNanos = System.nanoTime() + next * 1_000_000;
  }

  private Future<AuditMessages.Stored> record(AuditMessages.Record message) {
    Instant received = Instant.now();
    return Future.succeededFuture(message)
        .map(EventRules::parse)
        .onFailure(rejected -> metrics.failed(AuditMetrics.REJECTED, size(message)))
        .compose(events -> commits.submit(stored(events, received))
            .map(v -> new AuditMessages.Stored(events.size())));
  }

  private static List<StoredEvent> stored(List<AuditEvent> events, Instant received) {
    return events.stream().map(event -> StoredEvent.received(event, received)).toList();
  }

  private static int size(AuditMessages.Record message) {
    return message.events() == null ? 1 : Math.max(1, message.events().size());
  }
}
