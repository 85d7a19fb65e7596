package dev.portcullis.audit;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Writes one batch, all or nothing, each event after the current head of its app's chain.
 *
 * <p>Fast path: when this process committed the last head of every app of the batch, it chains the events
 * from those heads and appends them with one autocommit statement ({@link #APPEND}) that moves the heads only
 * if none moved since, and inserts the events only with them: one round trip. When another process moved a
 * head, nothing is written and the statement answers the current heads; the batch is chained from those and
 * appended once more. Otherwise (an app this process has not written yet, or a second conflict) the batch is
 * written by the locking transaction: it locks the chain heads of the batch's apps (in app-id order, so
 * writers in other processes wait instead of forking a chain), numbers and hashes the events from the heads
 * it read, inserts them and moves the heads.
 */
final class AuditWriter {

  /**
   * Serialises the creation of chain heads across processes. Two transactions inserting the same new head
   * with ON CONFLICT stall each other until Postgres's deadlock check (a second by default); taken first, this
   * lock makes the later one see the earlier one's committed head instead. Only batches with an app this
   * process has not written yet take it.
   */
  private static final long NEW_HEADS_LOCK = 0x706f_7274_6175_6469L; // "portaudi"
  private static final String LOCK_NEW_HEADS = "SELECT pg_advisory_xact_lock($1)";
  private static final String ENSURE_HEADS =
      "INSERT INTO audit_chain_heads (app_id, seq, hash) SELECT a, 0, $2 FROM unnest($1::uuid[]) AS a ORDER BY a "
          + "ON CONFLICT (app_id) DO NOTHING";
  private static final String LOCK_HEADS =
      "SELECT app_id, seq, hash FROM audit_chain_heads WHERE app_id = ANY($1::uuid[]) ORDER BY app_id FOR UPDATE";
  private static final String INSERT_EVENTS =
      "INSERT INTO audit_events (" + StoredEvent.COLUMNS + ") " + eventsFrom(1);
  private static final String MOVE_HEADS =
      "UPDATE audit_chain_heads AS h SET seq = v.seq, hash = v.hash "
          + "FROM unnest($1::uuid[], $2::bigint[], $3::text[]) AS v(app_id, seq, hash) WHERE h.app_id = v.app_id";

  /**
   * The fast path in one statement. {@code current} locks the batch's heads in app-id order, like
   * {@link #LOCK_HEADS}; under READ COMMITTED a head another transaction moved meanwhile is re-read after the
   * lock wait, so it holds the latest committed heads. Only when every one is still at the expected (seq, hash)
   * do the heads move, and each app's events are inserted only with its moved head, so a chain's head and
   * events never part. Otherwise nothing is written, and the answer carries the current heads to try again from.
   */
  private static final String APPEND =
      "WITH expected AS (SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::text[]) "
          + "AS x(app_id, seq, hash, new_seq, new_hash)), "
          + "current AS (SELECT app_id, seq, hash FROM audit_chain_heads WHERE app_id = ANY($1::uuid[]) "
          + "ORDER BY app_id FOR UPDATE), "
          + "verdict AS (SELECT count(*) = cardinality($1::uuid[]) AS unchanged FROM current AS c JOIN expected AS x "
          + "ON c.app_id = x.app_id AND c.seq = x.seq AND c.hash = x.hash), "
          + "moved AS (UPDATE audit_chain_heads AS h SET seq = x.new_seq, hash = x.new_hash FROM expected AS x, verdict "
          + "WHERE verdict.unchanged AND h.app_id = x.app_id AND h.seq = x.seq AND h.hash = x.hash "
          + "RETURNING h.app_id), "
          + "stored AS (INSERT INTO audit_events (" + StoredEvent.COLUMNS + ") "
          + "SELECT e.* FROM (" + eventsFrom(6) + ") AS e JOIN moved ON moved.app_id = e.app_id RETURNING 1) "
          + "SELECT c.app_id, c.seq, c.hash, (SELECT count(*) FROM moved) AS moved, (SELECT count(*) FROM stored) AS stored "
          + "FROM current AS c";

  /**
   * How many times a batch whose append found a head moved is appended again from the heads that answer read,
   * before it takes the locking transaction: with several processes writing one busy app, a second try that
   * lands costs one more round trip, where the locking transaction takes five.
   */
  private static final int APPEND_RETRIES = 1;

  /** Bounds the memory of {@link #knownHeads} and {@link #lastHeads}; forgetting only costs a slower batch. */
  private static final int KNOWN_HEADS_LIMIT = 100_000;

  private record Head(long seq, String hash) {
  }

  /** Events placed in their chains, and where that leaves each app's head. */
  private record Chained(List<StoredEvent> events, Map<UUID, Head> heads) {
  }

  /** One try of the fast path: stored, or nothing written and the heads the chains had meanwhile reached. */
  private record Attempt(boolean stored, Map<UUID, Head> currentHeads) {
  }

  private final Postgres pg;
  private final AuditMetrics metrics;
  /** Apps whose head row is committed: heads are never deleted, so they need no insert again. */
  private final Set<UUID> knownHeads = new HashSet<>();
  /**
   * The head each app's chain had after this process's last committed batch of it: the fast path's guess. A
   * guess only: another process may have moved it since, which {@link #APPEND} detects. Forgotten whenever a
   * batch of the app fails, since its outcome is then unknown.
   */
  private final Map<UUID, Head> lastHeads = new HashMap<>();

  AuditWriter(Postgres pg, AuditMetrics metrics) {
    this.pg = pg;
    this.metrics = metrics;
  }

  /** Stores the events in order, each after the current head of its app; fails as a whole. */
  Future<Void> write(List<StoredEvent> events) {
    List<UUID> apps = events.stream().map(StoredEvent::appId).distinct().toList();
    Future<Void> written = lastHeads.keySet().containsAll(apps)
        ? append(events, apps, lastHeads, APPEND_RETRIES)
        : writeLocked(events, apps);
    return written.onFailure(failed -> apps.forEach(lastHeads::remove));
  }

  private Future<Void> append(List<StoredEvent> events, List<UUID> apps, Map<UUID, Head> from, int retries) {
    return appendOnce(events, apps, from).compose(attempt -> {
      if (attempt.stored()) {
        return Future.succeededFuture();
      }
      metrics.conflict();
      apps.forEach(lastHeads::remove);
      return retries > 0 && attempt.currentHeads().keySet().containsAll(apps)
          ? append(events, apps, attempt.currentHeads(), retries - 1)
          : writeLocked(events, apps);
    });
  }

  /** One try of the fast path, chaining the events from the heads {@code from}. */
  private Future<Attempt> appendOnce(List<StoredEvent> events, List<UUID> apps, Map<UUID, Head> from) {
    int n = apps.size();
    UUID[] ids = apps.toArray(UUID[]::new);
    Map<UUID, Head> expected = new LinkedHashMap<>();
    apps.forEach(app -> expected.put(app, from.get(app)));
    Chained chained = chain(events, expected);
    Long[] seqs = new Long[n];
    String[] hashes = new String[n];
    Long[] newSeqs = new Long[n];
    String[] newHashes = new String[n];
    for (int i = 0; i < n; i++) {
      seqs[i] = expected.get(ids[i]).seq();
      hashes[i] = expected.get(ids[i]).hash();
      newSeqs[i] = chained.heads().get(ids[i]).seq();
      newHashes[i] = chained.heads().get(ids[i]).hash();
    }
    Tuple heads = Tuple.tuple().addValue(ids).addValue(seqs).addValue(hashes).addValue(newSeqs).addValue(newHashes);
    return pg.run(pool -> pool.preparedQuery(APPEND).execute(withEvents(heads, chained.events())))
        .compose(rows -> {
          Map<UUID, Head> current = new HashMap<>();
          long moved = 0;
          long stored = 0;
          for (Row row : rows) {
            current.put(row.getUUID("app_id"), new Head(row.getLong("seq"), row.getString("hash")));
            moved = row.getLong("moved");
            stored = row.getLong("stored");
          }
          if (moved == 0) {
            return Future.succeededFuture(new Attempt(false, current));
          }
          if (moved != n || stored != events.size()) {
            return Future.failedFuture(new IllegalStateException(
                "audit append moved " + moved + " of " + n + " heads and stored " + stored + " of " + events.size() + " events"));
          }
          remember(chained.heads());
          return Future.succeededFuture(new Attempt(true, chained.heads()));
        });
  }

  /** The locking transaction: reads the current heads under lock, so it cannot fork a chain. */
  private Future<Void> writeLocked(List<StoredEvent> events, List<UUID> apps) {
    List<UUID> newApps = apps.stream().filter(app -> !knownHeads.contains(app)).toList();
    return pg.inTransaction(conn -> ensureHeads(conn, newApps)
            .compose(v -> lockHeads(conn, apps))
            .compose(heads -> {
              Chained chained = chain(events, heads);
              return insert(conn, chained.events()).compose(v -> moveHeads(conn, chained.heads())).map(chained);
            }))
        .map(chained -> {
          remember(chained.heads());
          return null;
        });
  }

  /** Numbers and hashes the events in order, each after the head its app has reached so far. */
  private static Chained chain(List<StoredEvent> events, Map<UUID, Head> heads) {
    Map<UUID, Head> moved = new LinkedHashMap<>(heads);
    List<StoredEvent> chained = new ArrayList<>(events.size());
    for (StoredEvent event : events) {
      Head head = moved.get(event.appId());
      StoredEvent placed = event.chained(head.seq() + 1, head.hash());
      moved.put(event.appId(), new Head(placed.seq(), placed.hash()));
      chained.add(placed);
    }
    return new Chained(chained, moved);
  }

  private Future<Void> ensureHeads(SqlConnection conn, List<UUID> apps) {
    if (apps.isEmpty()) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery(LOCK_NEW_HEADS)
        .execute(Tuple.of(NEW_HEADS_LOCK))
        .compose(locked -> conn.preparedQuery(ENSURE_HEADS).execute(Tuple.of(apps.toArray(UUID[]::new), ChainHash.GENESIS)))
        .mapEmpty();
  }

  private Future<Map<UUID, Head>> lockHeads(SqlConnection conn, List<UUID> apps) {
    return conn.preparedQuery(LOCK_HEADS)
        .execute(Tuple.of(apps.toArray(UUID[]::new)))
        .compose(rows -> {
          Map<UUID, Head> heads = new HashMap<>();
          for (Row row : rows) {
            heads.put(row.getUUID("app_id"), new Head(row.getLong("seq"), row.getString("hash")));
          }
          if (heads.size() != apps.size()) {
            // Only a head deleted behind the triggers' back gets here; writing on would fork that chain.
            apps.forEach(knownHeads::remove);
            return Future.failedFuture(new ApiException(ErrorCode.INTERNAL_ERROR, "audit chain head missing"));
          }
          return Future.succeededFuture(heads);
        });
  }

  private static Future<Void> insert(SqlConnection conn, List<StoredEvent> events) {
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

  private static Future<Void> moveHeads(SqlConnection conn, Map<UUID, Head> heads) {
    UUID[] apps = heads.keySet().toArray(UUID[]::new);
    Long[] seqs = new Long[apps.length];
    String[] hashes = new String[apps.length];
    for (int i = 0; i < apps.length; i++) {
      seqs[i] = heads.get(apps[i]).seq();
      hashes[i] = heads.get(apps[i]).hash();
    }
    return conn.preparedQuery(MOVE_HEADS).execute(Tuple.of(apps, seqs, hashes)).mapEmpty();
  }

  private void remember(Map<UUID, Head> heads) {
    if (knownHeads.size() + heads.size() > KNOWN_HEADS_LIMIT) {
      knownHeads.clear();
    }
    if (lastHeads.size() + heads.size() > KNOWN_HEADS_LIMIT) {
      lastHeads.clear();
    }
    knownHeads.addAll(heads.keySet());
    lastHeads.putAll(heads);
  }
}
