package dev.portcullis.audit;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Audit events staged in the transaction of the change they record ({@link #stage}), so the change and its
 * event commit together or not at all; {@link #drain} moves them into the hash chain (through the audit
 * verticle's group commit) and then deletes them. At least once: a crash between the append and the delete
 * appends a staged event again on the next drain, never loses it.
 */
public final class AuditOutbox {

  private static final String STAGE = "INSERT INTO audit_outbox (event_id, event) VALUES ($1, $2)";
  private static final String UNSTAGE = "DELETE FROM audit_outbox WHERE event_id = ANY($1)";
  /** Rows the request that staged them did not record (it died, or the audit log was down): older than a moment. */
  private static final String OLDEST = "SELECT id, event, staged_at FROM audit_outbox "
      + "WHERE staged_at < now() - interval '5 seconds' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED";
  private static final String DELETE = "DELETE FROM audit_outbox WHERE id = ANY($1)";
  /** At most one audit message's worth of events (EventRules.MAX_EVENTS_PER_MESSAGE) per batch. */
  static final int BATCH = EventRules.MAX_EVENTS_PER_MESSAGE;

  private AuditOutbox() {
  }

  /** An event with the id it is staged under. */
  public record Staged(UUID id, AuditEvent event) {

    public static Staged of(AuditEvent event) {
      return new Staged(UUID.randomUUID(), event);
    }
  }

  /** Stages the event on the caller's connection, inside the caller's transaction. */
  public static Future<Void> stage(SqlConnection conn, Staged staged) {
    return conn.preparedQuery(STAGE).execute(Tuple.of(staged.id(), staged.event().toJson())).mapEmpty();
  }

  /** Stages these events on the caller's connection, inside the caller's transaction, in one round trip. */
  public static Future<Void> stageAll(SqlConnection conn, List<Staged> staged) {
    if (staged.isEmpty()) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery(STAGE)
        .executeBatch(staged.stream().map(event -> Tuple.of(event.id(), event.event().toJson())).toList())
        .mapEmpty();
  }

  /**
   * After the change committed: records the staged event in the chain (the answer waits for it, as for any
   * event) and deletes its row. If either fails the change stays acknowledged: its event is durable in the
   * outbox and the audit verticle records it moments later.
   */
  public static Future<Void> record(Postgres pg, AuditLog audit, Staged staged) {
    return record(pg, audit, List.of(staged));
  }

  /**
   * The same for the events of one change, recorded in order, one audit message per {@link #BATCH} events (the
   * most one message may carry), and their rows deleted in one statement.
   */
  public static Future<Void> record(Postgres pg, AuditLog audit, List<Staged> staged) {
    if (staged.isEmpty()) {
      return Future.succeededFuture();
    }
    Future<Void> recorded = Future.succeededFuture();
    for (int from = 0; from < staged.size(); from += BATCH) {
      List<AuditEvent> events = staged.subList(from, Math.min(staged.size(), from + BATCH)).stream()
          .map(Staged::event).toList();
      recorded = recorded.compose(previous -> audit.record(events));
    }
    UUID[] ids = staged.stream().map(Staged::id).toArray(UUID[]::new);
    return recorded
        .compose(done -> pg.run(pool -> pool.preparedQuery(UNSTAGE).execute(Tuple.tuple().addArrayOfUUID(ids))))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** Records a batch of staged events with {@code append} (the audit log) and deletes them; the number moved. */
  static Future<Integer> drain(Postgres pg, Function<List<AuditEvent>, Future<Void>> append) {
    return pg.inTransaction(conn -> conn.preparedQuery(OLDEST).execute(Tuple.of(BATCH)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(0);
      }
      List<AuditEvent> events = new ArrayList<>(rows.size());
      List<Long> ids = new ArrayList<>(rows.size());
      for (Row row : rows) {
        ids.add(row.getLong("id"));
        events.add(event((JsonObject) row.getValue("event")));
      }
      return append.apply(events)
          .compose(appended -> conn.preparedQuery(DELETE).execute(Tuple.of(ids.toArray(new Long[0]))))
          .map(deleted -> ids.size());
    }));
  }

  private static AuditEvent event(JsonObject json) {
    String user = json.getString("user_id");
    return new AuditEvent(json.getString("type"), UUID.fromString(json.getString("app_id")),
        user == null ? null : UUID.fromString(user), json.getString("request_id"), json.getString("client_ip"),
        json.getJsonObject("data", new JsonObject()));
  }
}
