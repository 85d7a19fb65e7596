package dev.portcullis.license;

import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One round of license housekeeping, run by one gateway process at a time: the round holds a transaction-level
 * Postgres advisory lock, and a process that cannot take it skips the round. It deactivates the devices of
 * heartbeat policies silent for two intervals (freeing their seats) and marks newly expired licenses handled,
 * and answers what it did so the caller can revoke the sessions bound to them after the commit.
 */
final class Housekeeping {

  /** The advisory lock of the round (per database): an arbitrary constant no other job uses. */
  static final long LOCK = 0x70_15_C011L;

  private static final String TRY_LOCK = "SELECT pg_try_advisory_xact_lock($1) AS locked";
  private static final String CULL = "UPDATE license_devices d SET deactivated_at = now(), "
      + "deactivation_reason = 'heartbeat_dead' FROM licenses l JOIN license_policies p ON p.id = l.policy_id "
      + "WHERE d.license_id = l.id AND d.deactivated_at IS NULL AND p.heartbeat_interval IS NOT NULL "
      + "AND d.last_heartbeat_at < now() - 2 * p.heartbeat_interval * interval '1 second' "
      + "RETURNING d.id, d.license_id, l.app_id, l.user_id";
  private static final String EXPIRE = "UPDATE licenses l SET expiry_handled_at = now() "
      + "WHERE l.expires_at <= now() AND l.expiry_handled_at IS NULL "
      + "RETURNING l.id, l.app_id, l.user_id, "
      + "ARRAY(SELECT d.id FROM license_devices d WHERE d.license_id = l.id) AS devices";
  private static final String LIVE_DEVICES = "SELECT count(*) AS live FROM license_devices WHERE deactivated_at IS NULL";

  /** A device culled, or a license that expired with its devices (for the sessions bound to them). */
  record Change(UUID appId, UUID licenseId, UUID userId, List<UUID> devices) {
  }

  /** What one round did; {@code ran} is false when another process held the round. */
  record Round(boolean ran, List<Change> culled, List<Change> expired, long liveDevices) {

    static final Round SKIPPED = new Round(false, List.of(), List.of(), -1);
  }

  private final Postgres pg;

  Housekeeping(Postgres pg) {
    this.pg = pg;
  }

  Future<Round> run() {
    return pg.inTransaction(conn -> conn.preparedQuery(TRY_LOCK).execute(Tuple.of(LOCK))
        .compose(rows -> rows.iterator().next().getBoolean("locked") ? round(conn) : Future.succeededFuture(Round.SKIPPED)));
  }

  private Future<Round> round(SqlConnection conn) {
    return conn.query(CULL).execute().compose(culledRows -> {
      List<Change> culled = new ArrayList<>();
      culledRows.forEach(row -> culled.add(new Change(row.getUUID("app_id"), row.getUUID("license_id"),
          row.getUUID("user_id"), List.of(row.getUUID("id")))));
      return conn.query(EXPIRE).execute().compose(expiredRows -> {
        List<Change> expired = new ArrayList<>();
        expiredRows.forEach(row -> expired.add(new Change(row.getUUID("app_id"), row.getUUID("id"),
            row.getUUID("user_id"), devices(row))));
        return conn.query(LIVE_DEVICES).execute()
            .map(live -> new Round(true, culled, expired, live.iterator().next().getLong("live")));
      });
    });
  }

  private static List<UUID> devices(Row row) {
    UUID[] ids = row.getArrayOfUUIDs("devices");
    return ids == null ? List.of() : List.of(ids);
  }
}
