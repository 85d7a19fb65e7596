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

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config, "portcullis-audit", POOL_SIZE);
    metrics = new AuditMetrics(Metrics.registry(vertx));
    commits = new GroupCommit(vertx, new AuditWriter(new AuditChainStore(pg), metrics)::write, metrics);
    partitions = new AuditPartitions(vertx, pg, config, Metrics.registry(vertx));
    partitions.start();
    consumer = Bus.serve(vertx, Bus.AUDIT_RECORD, this::record);
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
    return commits.drain()
        .eventually(consumer::unregister)
        .eventually(() -> {
          metrics.close();
          return pg.close();
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
