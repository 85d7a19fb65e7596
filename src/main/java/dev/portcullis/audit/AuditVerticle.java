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
  private long outboxTimer;
  private Postgres outboxPg;
  private AuditLog outboxLog;
  private boolean draining;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config, "portcullis-audit", POOL_SIZE);
    metrics = new AuditMetrics(Metrics.registry(vertx));
    commits = new GroupCommit(vertx, new AuditWriter(new AuditChainStore(pg), metrics,
        ChainHash.key(config.masterKey()))::write, metrics);
    partitions = new AuditPartitions(vertx, pg, config, Metrics.registry(vertx));
    partitions.start();
    consumer = Bus.serve(vertx, Bus.AUDIT_RECORD, this::record);
    outboxPg = Postgres.create(vertx, config, "portcullis-audit-outbox", 1);
    // Staged events go through the bus like any other, so every reader of the audit stream sees them.
    outboxLog = new AuditLog(new Bus(vertx));
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
    return commits.drain()
        .eventually(consumer::unregister)
        .eventually(() -> {
          metrics.close();
          return Future.join(pg.close(), outboxPg.close()).mapEmpty();
        });
  }

  /** One drain at a time per process; pods drain side by side (SKIP LOCKED). */
  private void drainOutbox() {
    if (draining) {
      return;
    }
    draining = true;
    AuditOutbox.drain(outboxPg, outboxLog::record)
        .onComplete(done -> {
          draining = false;
          if (done.succeeded() && done.result() == AuditOutbox.BATCH) {
            drainOutbox();
          }
        });
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
