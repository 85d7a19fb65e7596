package dev.portcullis.audit;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Audit events staged in the transaction of the change they record ({@link #stage}), so the change and its
 * event commit together or not at all; then moved into the hash chain (through the audit verticle's group commit)
 * and deleted, by the request that staged them ({@link #record}) or, if it could not, by the audit verticle's
 * {@link #drain}. Exactly once: whoever moves a row holds its lock until the row is deleted, so the two never move
 * one row together, and an event is stored under the id it was staged with, so a row left behind after its event
 * reached the chain (a crash between the two) is deleted, not appended again.
 */
public final class AuditOutbox {

  private static final Logger LOG = LoggerFactory.getLogger(AuditOutbox.class);

  private static final String STAGE = "INSERT INTO audit_outbox (event_id, event) VALUES ($1, $2)";
  private static final String STAGE_MANY =
      "INSERT INTO audit_outbox (event_id, event) SELECT id, event::jsonb FROM unnest($1::uuid[], $2::text[]) AS s(id, event)";
  private static final int STAGE_CHUNK = 5_000;
  /** The staged rows of a request that nobody else is moving, and whether each one's event is in the chain already. */
  private static final String CLAIM = "SELECT o.id, o.event_id, o.event, "
      + "EXISTS (SELECT 1 FROM audit_events s WHERE s.id = o.event_id AND " + AuditChainStore.RECENT + ") AS stored "
      + "FROM audit_outbox o WHERE o.event_id = ANY($1) ORDER BY o.id FOR UPDATE OF o SKIP LOCKED";
  /**
   * Rows staged before a request's own about the same users (or, for events of no user, the same app) that are still
   * waiting: changes of one user run one after the other under its row lock, and each stages its events before it
   * commits, so these are the earlier changes' events. They go into the chain first, waited for while another
   * request moves them (h63: two changes of one member were logged in the reverse of the order they took effect).
   */
  private static final String EARLIER = "SELECT o.id, o.event_id, o.event, "
      + "EXISTS (SELECT 1 FROM audit_events s WHERE s.id = o.event_id AND " + AuditChainStore.RECENT + ") AS stored "
      + "FROM audit_outbox o WHERE o.id < (SELECT min(m.id) FROM audit_outbox m WHERE m.event_id = ANY($1)) "
      + "AND " + subject("o") + " = ANY($2) ORDER BY o.id FOR UPDATE OF o";
  /**
   * Rows the request that staged them did not record (it died, or the audit log was down): older than a moment. Two
   * seconds: a request records its own within milliseconds, and one still at it when the drain comes loses nothing
   * (the row locks keep the two apart); the events of a cut-off request reach the chain sooner. A row is left for a
   * later round while an earlier row about the same subject stays behind (another mover holds it, or it was not
   * taken): moved before it, a change was chained ahead of the one it followed (h66, under load).
   */
  private static final String OLDEST = "WITH taken AS (SELECT o.id, o.event_id, o.event FROM audit_outbox o "
      + "WHERE o.staged_at < now() - interval '2 seconds' ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED) "
      + "SELECT t.id, t.event_id, t.event, "
      + "EXISTS (SELECT 1 FROM audit_events s WHERE s.id = t.event_id AND " + AuditChainStore.RECENT + ") AS stored "
      + "FROM taken t WHERE NOT EXISTS (SELECT 1 FROM audit_outbox e WHERE e.id < t.id "
      + "AND " + subject("e") + " = " + subject("t") + " AND e.id NOT IN (SELECT id FROM taken)) ORDER BY t.id";
  private static final String DELETE = "DELETE FROM audit_outbox WHERE id = ANY($1)";
  /** Rows whose event the log refuses, set aside with why; deleted from the outbox with the batch they were in. */
  private static final String REJECT = "INSERT INTO audit_outbox_rejected (id, event_id, event, staged_at, reason) "
      + "SELECT o.id, o.event_id, o.event, o.staged_at, r.reason FROM audit_outbox o "
      + "JOIN unnest($1::bigint[], $2::text[]) AS r(id, reason) ON r.id = o.id ON CONFLICT (id) DO NOTHING";
  /** At most one audit message's worth of events (EventRules.MAX_EVENTS_PER_MESSAGE) per batch. */
  static final int BATCH = EventRules.MAX_EVENTS_PER_MESSAGE;

  private AuditOutbox() {
  }

  /** An event with the id it is staged under, and will be stored under. */
  public record Staged(UUID id, AuditEvent event) {

    public static Staged of(AuditEvent event) {
      UUID id = stagedId();
      return new Staged(id, event.withId(id));
    }
  }

  /**
   * A random id marked as a staged event's: version 8 (RFC 9562's custom version) where a new event's is 4, so the
   * chain's writer knows which events of a batch may be in the log already ({@link #isStaged}) and looks only
   * those up.
   */
  static UUID stagedId() {
    UUID random = UUID.randomUUID();
    return new UUID(random.getMostSignificantBits() & ~0xF000L | 0x8000L, random.getLeastSignificantBits());
  }

  static boolean isStaged(UUID id) {
    return id.version() == 8;
  }

  /** Stages the event on the caller's connection, inside the caller's transaction. */
  public static Future<Void> stage(SqlConnection conn, Staged staged) {
    return conn.preparedQuery(STAGE).execute(Tuple.of(staged.id(), staged.event().toJson())).mapEmpty();
  }

  /**
   * Stages these events on the caller's connection, inside the caller's transaction: one statement per
   * {@link #STAGE_CHUNK} events (a user's 20,000 sessions revoked at once staged one row per round trip, and the
   * revocation outlived its request's timeout).
   */
  public static Future<Void> stageAll(SqlConnection conn, List<Staged> staged) {
    Future<Void> stored = Future.succeededFuture();
    for (int from = 0; from < staged.size(); from += STAGE_CHUNK) {
      List<Staged> chunk = staged.subList(from, Math.min(staged.size(), from + STAGE_CHUNK));
      UUID[] ids = chunk.stream().map(Staged::id).toArray(UUID[]::new);
      String[] events = chunk.stream().map(event -> event.event().toJson().encode()).toArray(String[]::new);
      stored = stored.compose(previous -> conn.preparedQuery(STAGE_MANY)
          .execute(Tuple.tuple().addArrayOfUUID(ids).addArrayOfString(events)).mapEmpty());
    }
    return stored;
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
   * most one message may carry), and their rows deleted in the transaction that locked them.
   */
  public static Future<Void> record(Postgres pg, AuditLog audit, List<Staged> staged) {
    if (staged.isEmpty()) {
      return Future.succeededFuture();
    }
    UUID[] ids = staged.stream().map(Staged::id).toArray(UUID[]::new);
    String[] subjects = staged.stream().map(one -> subject(one.event())).distinct().toArray(String[]::new);
    return pg.inTransaction(conn -> conn.preparedQuery(EARLIER).execute(Tuple.tuple().addArrayOfUUID(ids)
                .addArrayOfString(subjects))
            .compose(earlier -> move(conn, earlier, events -> appendInBatches(audit, events)))
            .compose(moved -> conn.preparedQuery(CLAIM).execute(Tuple.tuple().addArrayOfUUID(ids)))
            .compose(rows -> move(conn, rows, events -> appendInBatches(audit, events))))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** Whom the staged event of row {@code alias} is about, as SQL: its user, or its app for an event of no user. */
  private static String subject(String alias) {
    return "coalesce(" + alias + ".event->>'user_id', 'app:' || (" + alias + ".event->>'app_id'))";
  }

  /** Whom an event is about, as {@link #subject(String)} reads it of a staged row. */
  private static String subject(AuditEvent event) {
    JsonObject json = event.toJson();
    String user = json.getString("user_id");
    return user != null ? user : "app:" + json.getString("app_id");
  }

  private static Future<Void> appendInBatches(AuditLog audit, List<AuditEvent> events) {
    Future<Void> recorded = Future.succeededFuture();
    for (int from = 0; from < events.size(); from += BATCH) {
      List<AuditEvent> batch = events.subList(from, Math.min(events.size(), from + BATCH));
      recorded = recorded.compose(previous -> audit.record(batch));
    }
    return recorded;
  }

  /** Records a batch of staged events with {@code append} (the audit log) and deletes them; the number moved. */
  static Future<Integer> drain(Postgres pg, Function<List<AuditEvent>, Future<Void>> append) {
    return pg.inTransaction(conn -> conn.preparedQuery(OLDEST).execute(Tuple.of(BATCH))
        .compose(rows -> move(conn, rows, append).map(rows.size())));
  }

  /**
   * Appends the events of the locked rows that the chain does not hold yet, then deletes every locked row, in the
   * transaction that holds their locks.
   */
  private static Future<Void> move(SqlConnection conn, RowSet<Row> rows, Function<List<AuditEvent>, Future<Void>> append) {
    if (rows.size() == 0) {
      return Future.succeededFuture();
    }
    List<AuditEvent> events = new ArrayList<>(rows.size());
    List<Long> ids = new ArrayList<>(rows.size());
    List<Long> rejectedIds = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (Row row : rows) {
      ids.add(row.getLong("id"));
      if (!row.getBoolean("stored")) {
        String problem;
        AuditEvent event = null;
        try {
          event = event((JsonObject) row.getValue("event")).withId(row.getUUID("event_id"));
          problem = EventRules.problem(event);
        } catch (RuntimeException malformed) {
          problem = "malformed staged row: " + malformed;
        }
        if (problem == null) {
          events.add(event);
        } else {
          // A bug staged it: appended with the rest, it failed the whole batch at every round, for ever.
          LOG.error("audit outbox: staged event {} refused by the audit log ({}); set aside in audit_outbox_rejected",
              row.getUUID("event_id"), problem);
          rejectedIds.add(row.getLong("id"));
          reasons.add(problem);
        }
      }
    }
    Future<Void> setAside = rejectedIds.isEmpty() ? Future.succeededFuture()
        : conn.preparedQuery(REJECT).execute(Tuple.tuple().addArrayOfLong(rejectedIds.toArray(new Long[0]))
            .addArrayOfString(reasons.toArray(new String[0]))).mapEmpty();
    return setAside
        .compose(done -> events.isEmpty() ? Future.succeededFuture() : append.apply(events))
        .compose(done -> conn.preparedQuery(DELETE).execute(Tuple.of(ids.toArray(new Long[0])))).mapEmpty();
  }

  private static AuditEvent event(JsonObject json) {
    String user = json.getString("user_id");
    return new AuditEvent(json.getString("type"), UUID.fromString(json.getString("app_id")),
        user == null ? null : UUID.fromString(user), json.getString("request_id"), json.getString("client_ip"),
        json.getJsonObject("data", new JsonObject()));
  }
}
