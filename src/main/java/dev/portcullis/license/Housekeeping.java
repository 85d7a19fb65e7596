package dev.portcullis.license;

import dev.portcullis.audit.AuditOutbox;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Postgres;
import dev.portcullis.token.DeviceSessions;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * One round of license housekeeping, run by one gateway process at a time. It deactivates the devices of heartbeat
 * policies silent for two intervals (freeing their seats) and marks newly expired licenses handled, in batches of
 * at most {@code batchSize} rows, each batch one transaction that holds a transaction-level Postgres advisory lock
 * (a process that cannot take it leaves the round to the one that holds it).
 *
 * <p>A batch revokes the sessions bound to the devices it culled or whose license it marked expired, and stages
 * the audit events of all of it ({@link AuditOutbox}), in its own transaction: a row is marked handled only
 * together with what must follow from it. So a batch whose answer never reaches this process (a timeout, a
 * crash after the commit) loses nothing: its sessions are revoked in Postgres (a refresh is refused at once) and
 * the audit verticle moves its events into the chain. After the commit the batch writes the sessions' Redis
 * markers and records its events itself, which is what normally happens.
 */
final class Housekeeping {

  /** The advisory lock of the round (per database): an arbitrary constant no other job uses. */
  static final long LOCK = 0x70_15_C011L;

  private static final String TRY_LOCK = "SELECT pg_try_advisory_xact_lock($1) AS locked";

  /**
   * The licence's app is not being deleted (alias l): its licences wait for housekeeping's purge, which would
   * otherwise come after events in the deleted app's audit chain and revocations of its sessions.
   */
  private static final String APP_LIVE = "EXISTS (SELECT 1 FROM apps a WHERE a.id = l.app_id AND a.deleted_at IS NULL)";
  /**
   * A device of a heartbeat policy silent for two intervals, since its last heartbeat and since the policy took that
   * interval (aliases d, l, p).
   */
  private static final String SILENT = "d.deactivated_at IS NULL AND p.heartbeat_interval IS NOT NULL "
      + "AND d.last_heartbeat_at < now() - 2 * p.heartbeat_interval * interval '1 second' "
      + "AND p.heartbeat_since < now() - 2 * p.heartbeat_interval * interval '1 second' AND " + APP_LIVE;
  /** At most $1 silent devices; the outer conditions are checked again on the row it locks. */
  private static final String CULL = "UPDATE license_devices d SET deactivated_at = now(), "
      + "deactivation_reason = 'heartbeat_dead' FROM licenses l JOIN license_policies p ON p.id = l.policy_id "
      + "WHERE d.license_id = l.id AND " + SILENT + " AND d.id IN (SELECT d.id FROM license_devices d "
      + "JOIN licenses l ON l.id = d.license_id JOIN license_policies p ON p.id = l.policy_id WHERE " + SILENT
      + " LIMIT $1) RETURNING d.id, d.license_id, l.app_id, l.user_id";
  /** Not a revoked licence: a revocation is final (an older process may have revoked it without marking it handled). */
  private static final String EXPIRED = "l.expires_at <= now() AND l.expiry_handled_at IS NULL "
      + "AND l.status <> 'revoked' AND " + APP_LIVE;
  /** At most $1 newly expired licenses, with all their devices (live or not: a session may outlive a device). */
  private static final String EXPIRE = "UPDATE licenses l SET expiry_handled_at = now() WHERE " + EXPIRED
      + " AND l.id IN (SELECT l.id FROM licenses l WHERE " + EXPIRED + " LIMIT $1) "
      + "RETURNING l.id, l.app_id, l.user_id, "
      + "ARRAY(SELECT d.id FROM license_devices d WHERE d.license_id = l.id) AS devices";
  private static final String LIVE_DEVICES = "SELECT count(*) AS live FROM license_devices WHERE deactivated_at IS NULL";

  /** A device culled, or a license that expired with its devices (for the sessions bound to them). */
  record Change(UUID appId, UUID licenseId, UUID userId, List<UUID> devices) {
  }

  /**
   * What one round did; {@code ran} is false when another process held the round. {@code culled} and
   * {@code expired} count what committed, as far as this process heard: a batch whose answer was lost is not in
   * them, though its work is done.
   */
  record Round(boolean ran, int culled, int expired, int sessionsRevoked, long liveDevices) {

    static final Round SKIPPED = new Round(false, 0, 0, 0, -1);
  }

  /** One committed batch: its changes, and the sessions revoked and events staged with them. */
  private record Batch(boolean ran, List<Change> changes, List<DeviceSessions.Revoked> revoked,
                       List<AuditOutbox.Staged> staged) {

    static final Batch SKIPPED = new Batch(false, List.of(), List.of(), List.of());
  }

  /** What a kind of batch is: its statement, how a row reads, and the events of a change. */
  private record Kind(String sql, Function<Row, Change> change, String sessionReason, ChangeEvent event) {
  }

  /** The audit event of one change. */
  private interface ChangeEvent {
    AuditEvent of(Change change, String requestId);
  }

  private static final Kind CULLING = new Kind(CULL,
      row -> new Change(row.getUUID("app_id"), row.getUUID("license_id"), row.getUUID("user_id"),
          List.of(row.getUUID("id"))),
      LicenseEvents.REASON_DEVICE_DEACTIVATED,
      (change, requestId) -> AuditEvent.of(LicenseEvents.DEVICE_DEACTIVATED, change.appId(), requestId, null)
          .with("device_id", change.devices().get(0).toString())
          .with("reason", "heartbeat_dead"));

  private static final Kind EXPIRING = new Kind(EXPIRE,
      row -> new Change(row.getUUID("app_id"), row.getUUID("id"), row.getUUID("user_id"), devices(row)),
      LicenseEvents.REASON_LICENSE_EXPIRED,
      (change, requestId) -> AuditEvent.of(LicenseEvents.EXPIRED, change.appId(), requestId, null));

  private final Postgres pg;
  private final DeviceSessions sessions;
  private final LicenseMetrics metrics;
  private final int batchSize;

  Housekeeping(Postgres pg, DeviceSessions sessions, LicenseMetrics metrics, int batchSize) {
    this.pg = pg;
    this.sessions = sessions;
    this.metrics = metrics;
    this.batchSize = batchSize;
  }

  /**
   * Culls, then handles expiry (each whether or not the other failed: a culling that keeps timing out must not
   * hold expiry back), then counts the live devices. Fails when either part failed.
   */
  Future<Round> run(String requestId) {
    Future<Totals> culled = all(CULLING, requestId, new Totals());
    return culled.transform(culling -> all(EXPIRING, requestId, new Totals()).transform(expiring -> {
      if (culling.failed()) {
        return Future.failedFuture(culling.cause());
      }
      if (expiring.failed()) {
        return Future.failedFuture(expiring.cause());
      }
      Totals cull = culling.result();
      Totals expire = expiring.result();
      if (!cull.ran && !expire.ran) {
        return Future.succeededFuture(Round.SKIPPED);
      }
      return pg.run(pool -> pool.query(LIVE_DEVICES).execute())
          .map(live -> new Round(true, cull.changes, expire.changes, cull.sessions + expire.sessions,
              live.iterator().next().getLong("live")));
    }));
  }

  /** What the batches of one kind did so far. */
  private static final class Totals {
    boolean ran;
    int changes;
    int sessions;
  }

  /** Batches of one kind until one takes fewer than a batch, or another process holds the lock. */
  private Future<Totals> all(Kind kind, String requestId, Totals totals) {
    return batch(kind, requestId).compose(batch -> {
      if (!batch.ran()) {
        return Future.succeededFuture(totals);
      }
      totals.ran = true;
      totals.changes += batch.changes().size();
      totals.sessions += batch.revoked().size();
      if (kind == CULLING && !batch.changes().isEmpty()) {
        metrics.heartbeatsMissed(batch.changes().size());
      }
      return sessions.published(batch.revoked(), batch.staged())
          .compose(published -> batch.changes().size() < batchSize ? Future.succeededFuture(totals)
              : all(kind, requestId, totals));
    });
  }

  private Future<Batch> batch(Kind kind, String requestId) {
    return pg.inTransaction(conn -> conn.preparedQuery(TRY_LOCK).execute(Tuple.of(LOCK))
        .compose(locked -> !locked.iterator().next().getBoolean("locked") ? Future.succeededFuture(Batch.SKIPPED)
            : conn.preparedQuery(kind.sql()).execute(Tuple.of(batchSize))
                .compose(rows -> revokeAndStage(conn, kind, changes(rows, kind), requestId))));
  }

  /** In the batch's transaction: the bound sessions revoked, and every event of the batch staged. */
  private static Future<Batch> revokeAndStage(SqlConnection conn, Kind kind, List<Change> changes, String requestId) {
    List<UUID> devices = changes.stream().flatMap(change -> change.devices().stream()).toList();
    return DeviceSessions.revokeIn(conn, devices).compose(revoked -> {
      List<AuditOutbox.Staged> staged = new ArrayList<>(changes.size() + revoked.size());
      for (DeviceSessions.Revoked session : revoked) {
        staged.add(AuditOutbox.Staged.of(DeviceSessions.event(session, kind.sessionReason(), requestId)));
      }
      Map<UUID, Integer> perDevice = new HashMap<>();
      revoked.forEach(session -> perDevice.merge(session.deviceId(), 1, Integer::sum));
      for (Change change : changes) {
        int count = change.devices().stream().mapToInt(device -> perDevice.getOrDefault(device, 0)).sum();
        staged.add(AuditOutbox.Staged.of(kind.event().of(change, requestId)
            .withUser(change.userId())
            .with("actor", "housekeeping")
            .with("license_id", change.licenseId().toString())
            .with("sessions_revoked", count)));
      }
      return AuditOutbox.stageAll(conn, staged).map(done -> new Batch(true, changes, revoked, staged));
    });
  }

  private static List<Change> changes(RowSet<Row> rows, Kind kind) {
    List<Change> changes = new ArrayList<>(rows.size());
    rows.forEach(row -> changes.add(kind.change().apply(row)));
    return changes;
  }

  private static List<UUID> devices(Row row) {
    UUID[] ids = row.getArrayOfUUIDs("devices");
    return ids == null ? List.of() : List.of(ids);
  }
}
