package dev.portcullis.license;

import dev.portcullis.app.AppCursor;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/** SQL for licenses and their devices, kept in one place (seat-taking activations are in {@link Seats}). */
final class LicenseRepository {

  static final int MAX_DEVICES_LISTED = 1000;

  /** Inserts a license of a policy of the app, its expiry from the policy's duration; no row when no such policy. */
  private static final String INSERT =
      "WITH l AS (INSERT INTO licenses (id, app_id, policy_id, user_id, key_hash, key_hint, name, metadata, expires_at) "
          + "SELECT $1, p.app_id, p.id, $4, $5, $6, $7, $8, now() + p.duration_seconds * interval '1 second' "
          + "FROM license_policies p WHERE p.id = $3 AND p.app_id = $2 RETURNING *) "
          + "SELECT " + License.COLUMNS + " FROM l JOIN license_policies p ON p.id = l.policy_id";
  private static final String USER_OF_APP = "SELECT 1 FROM users WHERE id = $1 AND app_id = $2";
  private static final String FIND = "SELECT " + License.COLUMNS + License.FROM + "WHERE l.id = $1 AND l.app_id = $2";
  private static final String LOCK = FIND + " FOR UPDATE OF l";
  private static final String LIST = "SELECT " + License.COLUMNS + License.FROM + "WHERE l.app_id = $1 "
      + "AND ($2::uuid IS NULL OR l.user_id = $2) AND ("
      + "$3::text IS NULL "
      + "OR ($3 = 'active' AND l.status = 'active' AND (l.expires_at IS NULL OR l.expires_at > now())) "
      + "OR ($3 = 'expired' AND l.status = 'active' AND l.expires_at <= now()) "
      + "OR ($3 IN ('suspended', 'revoked') AND l.status = $3)) "
      + "AND (l.created_at, l.id) < ($4, $5) ORDER BY l.created_at DESC, l.id DESC LIMIT $6";
  /**
   * A revocation is final: the licence's expiry will need no handling (its sessions go with the revocation), so the
   * housekeeping job records no {@code license.expired} after it.
   */
  private static final String SET_STATUS = "UPDATE licenses SET status = $2, updated_at = now(), "
      + "expiry_handled_at = CASE WHEN $2 = 'revoked' THEN coalesce(expiry_handled_at, now()) "
      + "ELSE expiry_handled_at END WHERE id = $1";

  /** The license of a presented key, with the live device of a fingerprint when one is given. */
  private static final String BY_KEY = "SELECT " + License.COLUMNS + ", " + Device.COLUMNS + License.FROM
      + "LEFT JOIN license_devices d ON d.license_id = l.id AND d.fingerprint = $3 AND d.deactivated_at IS NULL "
      + "WHERE l.key_hash = $1 AND l.app_id = $2";
  /**
   * The license of a presented key, and whether a device id is one of its live devices: not deactivated, and not
   * silent past its heartbeat interval.
   */
  private static final String BY_KEY_AND_DEVICE = "SELECT " + License.COLUMNS + ", EXISTS (SELECT 1 FROM license_devices d "
      + "WHERE d.id = $3 AND d.license_id = l.id AND d.deactivated_at IS NULL AND NOT " + Device.SILENT
      + ") AS device_live" + License.FROM
      + "WHERE l.key_hash = $1 AND l.app_id = $2";

  private static final String DEVICES = "SELECT " + Device.COLUMNS + ", count(*) OVER () AS total FROM license_devices d "
      + "JOIN licenses l ON l.id = d.license_id JOIN license_policies p ON p.id = l.policy_id "
      + "WHERE d.license_id = $1 ORDER BY d.deactivated_at IS NULL DESC, d.activated_at DESC LIMIT " + MAX_DEVICES_LISTED;
  private static final String DEVICE_IDS = "SELECT id FROM license_devices WHERE license_id = $1";
  private static final String DEACTIVATE = "UPDATE license_devices d SET deactivated_at = now(), deactivation_reason = $3 "
      + "FROM licenses l WHERE d.id = $1 AND d.license_id = l.id AND l.app_id = $2 AND d.deactivated_at IS NULL "
      + "RETURNING d.id";
  private static final String DEVICE_OF_LICENSE = "SELECT d.deactivated_at IS NULL AS live FROM license_devices d "
      + "JOIN licenses l ON l.id = d.license_id WHERE d.id = $1 AND d.license_id = $2 AND l.app_id = $3";
  /**
   * The licence row is read under a share lock: a revocation, suspension or expiry committing while the call was on
   * its way is waited for and seen, so a checkout racing it gets no certificate (probe h57).
   */
  private static final String HEARTBEAT = "WITH l AS (SELECT " + License.COLUMNS + License.FROM
      + "JOIN license_devices d ON d.license_id = l.id WHERE d.id = $1 FOR SHARE OF l), "
      + "beat AS (UPDATE license_devices d SET last_heartbeat_at = now(), last_seen_at = now() FROM l "
      + "WHERE d.id = $1 AND d.deactivated_at IS NULL AND l.status = 'active' AND NOT l.expired "
      + "RETURNING d.last_heartbeat_at) "
      + "SELECT l.*, beat.last_heartbeat_at FROM l LEFT JOIN beat ON true";

  /** One page of licenses, newest first, and the cursor of the next page (null on the last). */
  record Page(List<License> licenses, String nextCursor) {
  }

  /** A license found by key, with the device its call named (null when none). */
  record Keyed(License license, Device device) {
  }

  /** A license found by key, and whether the device a login named is one of its live devices. */
  record Bindable(License license, boolean deviceLive) {
  }

  private final Postgres pg;

  LicenseRepository(Postgres pg) {
    this.pg = pg;
  }

  /** The new license, or null when the app has no such policy; {@code audit} runs in the insert's transaction. */
  Future<License> create(UUID id, UUID appId, UUID policyId, UUID userId, byte[] keyHash, String keyHint, String name,
                         JsonObject metadata, AuditStaging.Step<License> audit) {
    Tuple args = Tuple.tuple().addUUID(id).addUUID(appId).addUUID(policyId).addUUID(userId)
        .addBuffer(Buffer.buffer(keyHash)).addString(keyHint).addString(name).addValue(metadata);
    return pg.inTransaction(conn -> conn.preparedQuery(INSERT).execute(args)
        .compose(rows -> audit.after(conn, first(rows, License::fromRow))));
  }

  Future<Boolean> isUserOf(UUID appId, UUID userId) {
    return pg.run(pool -> pool.preparedQuery(USER_OF_APP).execute(Tuple.of(userId, appId)))
        .map(rows -> rows.rowCount() > 0);
  }

  /** The license of the app, or null. */
  Future<License> find(UUID appId, UUID id) {
    return pg.run(pool -> pool.preparedQuery(FIND).execute(Tuple.of(id, appId))).map(rows -> first(rows, License::fromRow));
  }

  Future<Page> list(UUID appId, UUID userId, String status, AppCursor after, int limit) {
    Tuple args = Tuple.tuple().addUUID(appId).addUUID(userId).addString(status)
        .addOffsetDateTime(after.createdAt()).addUUID(after.id()).addInteger(limit + 1);
    return pg.run(pool -> pool.preparedQuery(LIST).execute(args)).map(rows -> {
      List<License> licenses = new ArrayList<>();
      rows.forEach(row -> licenses.add(License.fromRow(row)));
      if (licenses.size() <= limit) {
        return new Page(licenses, null);
      }
      List<License> page = licenses.subList(0, limit);
      License last = page.get(limit - 1);
      return new Page(List.copyOf(page), new AppCursor(last.createdAt(), last.id()).encode());
    });
  }

  /**
   * Moves a license from one of {@code from} to {@code to} under a row lock. Answers the license as it was
   * before (null when the app has none of that id); the status is changed only when it was one of {@code from},
   * and then {@code then} runs on the license as it was, in the same transaction.
   */
  Future<License> transition(UUID appId, UUID id, List<String> from, String to, AuditStaging.Step<License> then) {
    return pg.inTransaction(conn -> conn.preparedQuery(LOCK).execute(Tuple.of(id, appId))
        .compose(rows -> {
          License before = first(rows, License::fromRow);
          if (before == null || !from.contains(storedStatus(before))) {
            return Future.succeededFuture(before);
          }
          return conn.preparedQuery(SET_STATUS).execute(Tuple.of(id, to)).compose(set -> then.after(conn, before));
        }));
  }

  /** The stored status (an expired license is stored as active). */
  static String storedStatus(License license) {
    return License.EXPIRED.equals(license.status()) ? License.ACTIVE : license.status();
  }

  Future<Keyed> byKey(UUID appId, byte[] keyHash, String fingerprint) {
    Tuple args = Tuple.of(Buffer.buffer(keyHash), appId, fingerprint);
    return pg.run(pool -> pool.preparedQuery(BY_KEY).execute(args))
        .map(rows -> first(rows, row -> new Keyed(License.fromRow(row), Device.fromRow(row))));
  }

  /** The license of a key with whether the device is live in it, or null when the key is unknown. */
  Future<Bindable> byKeyAndDevice(UUID appId, byte[] keyHash, UUID deviceId) {
    Tuple args = Tuple.of(Buffer.buffer(keyHash), appId, deviceId);
    return pg.run(pool -> pool.preparedQuery(BY_KEY_AND_DEVICE).execute(args))
        .map(rows -> first(rows, row -> new Bindable(License.fromRow(row), row.getBoolean("device_live"))));
  }

  /** The devices listed with a licence (at most {@link #MAX_DEVICES_LISTED}) and how many it has in all. */
  record Devices(List<Device> listed, long total) {
  }

  /** Live devices first, then the newest; {@code total} counts every device, deactivated ones too. */
  Future<Devices> devices(UUID licenseId) {
    return pg.run(pool -> pool.preparedQuery(DEVICES).execute(Tuple.of(licenseId))).map(rows -> {
      List<Device> devices = new ArrayList<>();
      long total = 0;
      for (Row row : rows) {
        devices.add(Device.fromRow(row));
        total = row.getLong("total");
      }
      return new Devices(devices, total);
    });
  }

  /** Every device the license ever had, read in the caller's transaction: the sessions bound to any of them go when the license does. */
  static Future<List<UUID>> deviceIds(SqlConnection conn, UUID licenseId) {
    return conn.preparedQuery(DEVICE_IDS).execute(Tuple.of(licenseId)).map(rows -> {
      List<UUID> ids = new ArrayList<>();
      rows.forEach(row -> ids.add(row.getUUID("id")));
      return ids;
    });
  }

  /**
   * True when this call deactivated the device (of a license of the app), with {@code then} run on its id in the
   * same transaction; false when it was not live.
   */
  Future<Boolean> deactivate(UUID appId, UUID deviceId, String reason, AuditStaging.Step<UUID> then) {
    return pg.inTransaction(conn -> conn.preparedQuery(DEACTIVATE).execute(Tuple.of(deviceId, appId, reason))
        .compose(rows -> then.after(conn, rows.rowCount() > 0 ? deviceId : null))
        .map(deactivated -> deactivated != null));
  }

  /** Null when the license of the app has no such device, else whether it is live. */
  Future<Boolean> deviceLive(UUID appId, UUID licenseId, UUID deviceId) {
    return pg.run(pool -> pool.preparedQuery(DEVICE_OF_LICENSE).execute(Tuple.of(deviceId, licenseId, appId)))
        .map(rows -> first(rows, row -> row.getBoolean("live")));
  }

  /**
   * Records a heartbeat; null when the device is no longer live, the licence's refusal when it is no longer active.
   */
  Future<java.time.OffsetDateTime> heartbeat(UUID deviceId) {
    return pg.run(pool -> pool.preparedQuery(HEARTBEAT).execute(Tuple.of(deviceId))).compose(rows -> {
      Row row = first(rows, found -> found);
      ApiException refusal = row == null ? null : License.fromRow(row).refusal();
      return refusal != null ? Future.failedFuture(refusal)
          : Future.succeededFuture(row == null ? null : row.getOffsetDateTime("last_heartbeat_at"));
    });
  }

  private static <T> T first(RowSet<Row> rows, Function<Row, T> mapper) {
    var iterator = rows.iterator();
    return iterator.hasNext() ? mapper.apply(iterator.next()) : null;
  }
}
