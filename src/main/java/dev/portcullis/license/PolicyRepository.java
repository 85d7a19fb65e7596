package dev.portcullis.license;

import dev.portcullis.app.AppCursor;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.Postgres;
import dev.portcullis.user.Page;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/** SQL for license policies, kept in one place. */
final class PolicyRepository {

  private static final String INSERT = "INSERT INTO license_policies (id, app_id, name, max_devices, duration_seconds, "
      + "entitlements, heartbeat_interval, offline_ttl, max_activations_per_day) "
      + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING " + Policy.COLUMNS;
  private static final String LIST = "SELECT " + Policy.COLUMNS + " FROM license_policies WHERE app_id = $1 "
      + "AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4";
  private static final String FIND = "SELECT " + Policy.COLUMNS + " FROM license_policies WHERE id = $1 AND app_id = $2";
  private static final String UPDATE = "UPDATE license_policies SET name = $3, max_devices = $4, duration_seconds = $5, "
      + "entitlements = $6, heartbeat_interval = $7, offline_ttl = $8, max_activations_per_day = $9, updated_at = now(), "
      // A new interval counts from now for devices that kept the old one (or none): see V113.
      + "heartbeat_since = CASE WHEN heartbeat_interval IS DISTINCT FROM $7 THEN now() ELSE heartbeat_since END "
      + "WHERE id = $1 AND app_id = $2 RETURNING " + Policy.COLUMNS;
  private static final String DELETE = "DELETE FROM license_policies WHERE id = $1 AND app_id = $2";

  private final Postgres pg;

  PolicyRepository(Postgres pg) {
    this.pg = pg;
  }

  /** Inserts the policy and runs {@code audit} on it, in one transaction. */
  Future<Policy> create(Policy policy, AuditStaging.Step<Policy> audit) {
    return pg.inTransaction(conn -> conn.preparedQuery(INSERT).execute(values(policy))
        .compose(rows -> audit.after(conn, first(rows))));
  }

  /** One page of the app's policies, newest first, keyset-paged as licences are. */
  Future<Page<Policy>> list(UUID appId, AppCursor after, int limit) {
    Tuple args = Tuple.tuple().addUUID(appId).addOffsetDateTime(after.createdAt()).addUUID(after.id())
        .addInteger(limit + 1);
    return pg.run(pool -> pool.preparedQuery(LIST).execute(args)).map(rows -> Page.of(rows, limit, Policy::fromRow,
        policy -> new AppCursor(policy.createdAt(), policy.id()).encode()));
  }

  /** The policy of the app, or null. */
  Future<Policy> find(UUID appId, UUID id) {
    return pg.run(pool -> pool.preparedQuery(FIND).execute(Tuple.of(id, appId))).map(PolicyRepository::first);
  }

  /** The updated policy, or null when the app has no such policy; {@code audit} runs in the update's transaction. */
  Future<Policy> update(Policy policy, AuditStaging.Step<Policy> audit) {
    return pg.inTransaction(conn -> conn.preparedQuery(UPDATE).execute(values(policy))
        .compose(rows -> audit.after(conn, first(rows))));
  }

  /**
   * True when deleted (with {@code audit} run on its id in the same transaction), false when there was none; fails
   * with a foreign-key violation while licenses use it.
   */
  Future<Boolean> delete(UUID appId, UUID id, AuditStaging.Step<UUID> audit) {
    return pg.inTransaction(conn -> conn.preparedQuery(DELETE).execute(Tuple.of(id, appId))
        .compose(rows -> audit.after(conn, rows.rowCount() > 0 ? id : null))
        .map(deleted -> deleted != null));
  }

  static boolean isInUse(Throwable failure) {
    return Postgres.isForeignKeyViolation(failure);
  }

  private static Tuple values(Policy policy) {
    return Tuple.tuple()
        .addUUID(policy.id())
        .addUUID(policy.appId())
        .addString(policy.name())
        .addInteger(policy.maxDevices())
        .addLong(policy.durationSeconds())
        .addValue(policy.entitlements())
        .addInteger(policy.heartbeatInterval())
        .addInteger(policy.offlineTtl())
        .addInteger(policy.maxActivationsPerDay());
  }

  private static Policy first(RowSet<Row> rows) {
    var iterator = rows.iterator();
    return iterator.hasNext() ? Policy.fromRow(iterator.next()) : null;
  }
}
