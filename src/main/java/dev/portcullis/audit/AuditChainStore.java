package dev.portcullis.audit;

import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Every statement on {@code audit_events} and {@code audit_chain_heads} for writing, and how a batch binds to
 * them: one array parameter per column, so a batch of any size is one statement. {@link AuditWriter} decides
 * which to run.
 */
final class AuditChainStore {

  /**
   * Where an app's chain ends: the last event's seq and hash, and the seq from which its links are keyed
   * (recorded once per chain, never changed).
   */
  record Head(long seq, String hash, long keyedFromSeq) {
  }

  /** What one append did: heads moved and events stored (both 0 when a head had moved), and the heads it read. */
  record Appended(long moved, long stored, Map<UUID, Head> current) {
  }

  /**
   * Serialises the creation of chain heads across processes. Two transactions inserting the same new head
   * with ON CONFLICT stall each other until Postgres's deadlock check (a second by default); taken first, this
   * lock makes the later one see the earlier one's committed head instead. Only batches with an app this
   * process has not written yet take it.
   */
  private static final long NEW_HEADS_LOCK = 0x706f_7274_6175_6469L; // "portaudi"
  private static final String LOCK_NEW_HEADS = "SELECT pg_advisory_xact_lock($1)";
  private static final String ENSURE_HEADS =
      "INSERT INTO audit_chain_heads (app_id, seq, hash, keyed_from_seq) SELECT a, 0, $2, 1 FROM unnest($1::uuid[]) AS a "
          + "ORDER BY a "
          + "ON CONFLICT (app_id) DO NOTHING";
  private static final String LOCK_HEADS =
      "SELECT app_id, seq, hash, keyed_from_seq FROM audit_chain_heads WHERE app_id = ANY($1::uuid[]) ORDER BY app_id "
          + "FOR UPDATE";
  private static final String INSERT_EVENTS =
      "INSERT INTO audit_events (" + StoredEvent.COLUMNS + ") " + eventsFrom(1);
  private static final String MOVE_HEADS =
      "UPDATE audit_chain_heads AS h SET seq = v.seq, hash = v.hash "
          + "FROM unnest($1::uuid[], $2::bigint[], $3::text[]) AS v(app_id, seq, hash) WHERE h.app_id = v.app_id";

  /**
   * How far back a staged event's earlier copy is looked for: it was appended moments before its row was claimed
   * again (a crash before the row's delete, a chain stalled past the request's timeout). Bounding {@code at} lets the
   * lookup skip every older monthly partition.
   */
  static final String RECENT = "s.at > now() - interval '7 days'";
  private static final String ALREADY_STORED =
      "SELECT s.id FROM audit_events AS s WHERE s.id = ANY($1::uuid[]) AND " + RECENT;

  /**
   * The fast path in one statement. {@code current} locks the batch's heads in app-id order, like
   * {@link #LOCK_HEADS}; under READ COMMITTED a head another transaction moved meanwhile is re-read after the
   * lock wait, so it holds the latest committed heads. Only when every one is still at the expected (seq, hash)
   * do the heads move, and each app's events are inserted only with its moved head, so a chain's head and
   * events never part. Otherwise nothing is written, and the answer carries the current heads to try again from.
   * Nothing is written either when a staged event of the batch ($16) is in the log already: the locking
   * transaction then leaves it out.
   */
  private static final String APPEND =
      "WITH expected AS (SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::text[]) "
          + "AS x(app_id, seq, hash, new_seq, new_hash)), "
          + "current AS (SELECT app_id, seq, hash, keyed_from_seq FROM audit_chain_heads WHERE app_id = ANY($1::uuid[]) "
          + "ORDER BY app_id FOR UPDATE), "
          + "verdict AS (SELECT count(*) = cardinality($1::uuid[]) AND (cardinality($16::uuid[]) = 0 OR NOT EXISTS "
          + "(SELECT 1 FROM audit_events AS s WHERE s.id = ANY($16::uuid[]) AND " + RECENT + ")) AS unchanged "
          + "FROM current AS c JOIN expected AS x ON c.app_id = x.app_id AND c.seq = x.seq AND c.hash = x.hash), "
          + "moved AS (UPDATE audit_chain_heads AS h SET seq = x.new_seq, hash = x.new_hash FROM expected AS x, verdict "
          + "WHERE verdict.unchanged AND h.app_id = x.app_id AND h.seq = x.seq AND h.hash = x.hash "
          + "RETURNING h.app_id), "
          + "stored AS (INSERT INTO audit_events (" + StoredEvent.COLUMNS + ") "
          + "SELECT e.* FROM (" + eventsFrom(6) + ") AS e JOIN moved ON moved.app_id = e.app_id RETURNING 1) "
          + "SELECT c.app_id, c.seq, c.hash, c.keyed_from_seq, (SELECT count(*) FROM moved) AS moved, (SELECT count(*) FROM stored) AS stored "
          + "FROM current AS c";

  private final Postgres pg;

  AuditChainStore(Postgres pg) {
    this.pg = pg;
  }

  /**
   * The fast path ({@link #APPEND}): moves each app's head from {@code expected} to {@code next} and stores the
   * events, all only if no head moved since; else writes nothing. {@code expected} and {@code next} have the
   * same apps.
   */
  Future<Appended> append(Map<UUID, Head> expected, Map<UUID, Head> next, List<StoredEvent> events,
                          UUID[] staged) {
    int n = expected.size();
    UUID[] ids = expected.keySet().toArray(UUID[]::new);
    Long[] seqs = new Long[n];
    String[] hashes = new String[n];
    Long[] newSeqs = new Long[n];
    String[] newHashes = new String[n];
    for (int i = 0; i < n; i++) {
      seqs[i] = expected.get(ids[i]).seq();
      hashes[i] = expected.get(ids[i]).hash();
      newSeqs[i] = next.get(ids[i]).seq();
      newHashes[i] = next.get(ids[i]).hash();
    }
    Tuple heads = Tuple.tuple().addValue(ids).addValue(seqs).addValue(hashes).addValue(newSeqs).addValue(newHashes);
    return pg.run(pool -> pool.preparedQuery(APPEND).execute(withEvents(heads, events).addValue(staged)))
        .map(rows -> {
          long moved = 0;
          long stored = 0;
          for (Row row : rows) {
            moved = row.getLong("moved");
            stored = row.getLong("stored");
          }
          return new Appended(moved, stored, heads(rows));
        });
  }

  <T> Future<T> inTransaction(Function<SqlConnection, Future<T>> work) {
    return pg.inTransaction(work);
  }

  /** Creates the missing chain heads of these apps (at the genesis hash), under the new-heads lock. */
  Future<Void> ensureHeads(SqlConnection conn, List<UUID> apps) {
    if (apps.isEmpty()) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery(LOCK_NEW_HEADS)
        .execute(Tuple.of(NEW_HEADS_LOCK))
        .compose(locked -> conn.preparedQuery(ENSURE_HEADS).execute(Tuple.of(apps.toArray(UUID[]::new), ChainHash.GENESIS)))
        .mapEmpty();
  }

  /** The heads of these apps, locked for the transaction in app-id order; a missing head is simply absent. */
  Future<Map<UUID, Head>> lockHeads(SqlConnection conn, List<UUID> apps) {
    return conn.preparedQuery(LOCK_HEADS)
        .execute(Tuple.of(apps.toArray(UUID[]::new)))
        .map(AuditChainStore::heads);
  }

  /** Which of these staged events' ids the log holds already (read after the heads were locked). */
  Future<Set<UUID>> alreadyStored(SqlConnection conn, UUID[] staged) {
    if (staged.length == 0) {
      return Future.succeededFuture(Set.of());
    }
    return conn.preparedQuery(ALREADY_STORED).execute(Tuple.of(staged)).map(rows -> {
      Set<UUID> stored = new HashSet<>();
      rows.forEach(row -> stored.add(row.getUUID("id")));
      return stored;
    });
  }

  /** Inserts the chained events. */
  Future<Void> insert(SqlConnection conn, List<StoredEvent> events) {
    return conn.preparedQuery(INSERT_EVENTS).execute(withEvents(Tuple.tuple(), events)).mapEmpty();
  }

  /** {@code SELECT} of the events from ten array parameters, numbered from {@code first}. */
  private static String eventsFrom(int first) {
    String[] types = {"uuid", "uuid", "bigint", "timestamptz", "text", "uuid", "text", "text", "text", "text"};
    StringBuilder arrays = new StringBuilder();
    for (int i = 0; i < types.length; i++) {
      arrays.append(i == 0 ? "" : ", ").append('$').append(first + i).append("::").append(types[i]).append("[]");
    }
    return "SELECT id, app_id, seq, at, type, user_id, request_id, client_ip, data::jsonb, hash FROM unnest(" + arrays
        + ") AS e(id, app_id, seq, at, type, user_id, request_id, client_ip, data, hash)";
  }

  /** Appends the events' columns, one array each, in {@link StoredEvent#COLUMNS} order. */
  private static Tuple withEvents(Tuple params, List<StoredEvent> events) {
    int n = events.size();
    UUID[] ids = new UUID[n];
    UUID[] apps = new UUID[n];
    Long[] seqs = new Long[n];
    OffsetDateTime[] ats = new OffsetDateTime[n];
    String[] types = new String[n];
    UUID[] users = new UUID[n];
    String[] requests = new String[n];
    String[] ips = new String[n];
    String[] data = new String[n];
    String[] hashes = new String[n];
    for (int i = 0; i < n; i++) {
      StoredEvent event = events.get(i);
      ids[i] = event.id();
      apps[i] = event.appId();
      seqs[i] = event.seq();
      ats[i] = event.at().atOffset(ZoneOffset.UTC);
      types[i] = event.type();
      users[i] = event.userId();
      requests[i] = event.requestId();
      ips[i] = event.clientIp();
      data[i] = event.data().encode();
      hashes[i] = event.hash();
    }
    return params.addValue(ids).addValue(apps).addValue(seqs).addValue(ats).addValue(types)
        .addValue(users).addValue(requests).addValue(ips).addValue(data).addValue(hashes);
  }

  /** Moves the heads to where the inserted events left them. */
  Future<Void> moveHeads(SqlConnection conn, Map<UUID, Head> heads) {
    UUID[] apps = heads.keySet().toArray(UUID[]::new);
    Long[] seqs = new Long[apps.length];
    String[] hashes = new String[apps.length];
    for (int i = 0; i < apps.length; i++) {
      seqs[i] = heads.get(apps[i]).seq();
      hashes[i] = heads.get(apps[i]).hash();
    }
    return conn.preparedQuery(MOVE_HEADS).execute(Tuple.of(apps, seqs, hashes)).mapEmpty();
  }

  private static Map<UUID, Head> heads(RowSet<Row> rows) {
    Map<UUID, Head> heads = new HashMap<>();
    for (Row row : rows) {
      heads.put(row.getUUID("app_id"), new Head(row.getLong("seq"), row.getString("hash"), row.getLong("keyed_from_seq")));
    }
    return heads;
  }
}
