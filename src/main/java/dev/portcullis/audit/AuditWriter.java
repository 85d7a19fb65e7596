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
 * Writes one batch in one transaction: locks the chain heads of the batch's apps (in app-id order, so
 * writers in other processes wait instead of forking a chain), numbers and hashes the events in order,
 * inserts them with one statement and moves the heads.
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
      "INSERT INTO audit_events (" + StoredEvent.COLUMNS + ") "
          + "SELECT id, app_id, seq, at, type, user_id, request_id, client_ip, data::jsonb, hash FROM unnest("
          + "$1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[], $5::text[], $6::uuid[], $7::text[], $8::text[], "
          + "$9::text[], $10::text[]) AS e(id, app_id, seq, at, type, user_id, request_id, client_ip, data, hash)";
  private static final String MOVE_HEADS =
      "UPDATE audit_chain_heads AS h SET seq = v.seq, hash = v.hash "
          + "FROM unnest($1::uuid[], $2::bigint[], $3::text[]) AS v(app_id, seq, hash) WHERE h.app_id = v.app_id";

  /** Bounds the memory of {@link #knownHeads}; forgetting only costs one idempotent insert. */
  private static final int KNOWN_HEADS_LIMIT = 100_000;

  private record Head(long seq, String hash) {
  }

  private final Postgres pg;
  /** Apps whose head row is committed: heads are never deleted, so they need no insert again. */
  private final Set<UUID> knownHeads = new HashSet<>();

  AuditWriter(Postgres pg) {
    this.pg = pg;
  }

  /** Stores the events in order, each after the current head of its app; fails as a whole. */
  Future<Void> write(List<StoredEvent> events) {
    List<UUID> apps = events.stream().map(StoredEvent::appId).distinct().toList();
    List<UUID> newApps = apps.stream().filter(app -> !knownHeads.contains(app)).toList();
    return pg.inTransaction(conn -> ensureHeads(conn, newApps)
            .compose(v -> lockHeads(conn, apps))
            .compose(heads -> {
              Map<UUID, Head> moved = new LinkedHashMap<>(heads);
              List<StoredEvent> chained = new ArrayList<>(events.size());
              for (StoredEvent event : events) {
                Head head = moved.get(event.appId());
                StoredEvent placed = event.chained(head.seq() + 1, head.hash());
                moved.put(event.appId(), new Head(placed.seq(), placed.hash()));
                chained.add(placed);
              }
              return insert(conn, chained).compose(v -> moveHeads(conn, moved));
            }))
        .onSuccess(v -> remember(newApps));
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
    Tuple params = Tuple.tuple().addValue(ids).addValue(apps).addValue(seqs).addValue(ats).addValue(types)
        .addValue(users).addValue(requests).addValue(ips).addValue(data).addValue(hashes);
    return conn.preparedQuery(INSERT_EVENTS).execute(params).mapEmpty();
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

  private void remember(List<UUID> apps) {
    if (knownHeads.size() + apps.size() > KNOWN_HEADS_LIMIT) {
      knownHeads.clear();
    }
    knownHeads.addAll(apps);
  }
}
