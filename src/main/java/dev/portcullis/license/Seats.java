package dev.portcullis.license;

import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.Iterator;
import java.util.UUID;

/**
 * Activation: a device takes a seat of a license. One transaction holds the license row lock
 * ({@code SELECT ... FOR UPDATE}) while it counts the live devices and the activations of the last 24 hours and
 * inserts the new device, so concurrent activations of one license, on any number of gateway processes, queue on
 * that lock and each counts what the ones before it committed: with k free seats, exactly k succeed.
 */
final class Seats {

  /**
   * The policy's row is held too (shared): a statement waiting on the licence's lock reads again only the rows it
   * locks, so an activation queued behind another used the policy as it stood when it started (two devices took
   * seats of a policy a PATCH had just cut to one); now a policy change waits for the activations under way, and the
   * ones after it read it as changed.
   */
  private static final String LOCK_LICENSE = "SELECT " + License.COLUMNS + License.FROM
      + "WHERE l.id = $1 FOR UPDATE OF l FOR SHARE OF p";
  /**
   * Each count reads only the rows it counts, through its index (the live devices; the last day's activations): a
   * licence's deactivated devices stay as its history, and one aggregate over all of them, under the licence's
   * lock, grew with every device a churning licence (containers, CI) ever had.
   */
  private static final String COUNT = "SELECT "
      + "(SELECT id FROM license_devices WHERE license_id = $1 AND fingerprint = $2 AND deactivated_at IS NULL) AS existing, "
      + "(SELECT count(*) FROM license_devices WHERE license_id = $1 AND deactivated_at IS NULL) AS live, "
      + "count(*) AS today, ceil(extract(epoch FROM min(activated_at) + interval '1 day' - now()))::bigint AS cap_frees_in "
      + "FROM license_devices WHERE license_id = $1 AND activated_at > now() - interval '1 day'";
  /** A repeat activation is the device online, as a heartbeat is: it revives a device that had gone silent. */
  private static final String REACTIVATE = "WITH before AS (SELECT d.id, " + Device.SILENT + " AS silent "
      + "FROM license_devices d JOIN licenses l ON l.id = d.license_id JOIN license_policies p ON p.id = l.policy_id "
      + "WHERE d.id = $1) "
      + "UPDATE license_devices d SET last_seen_at = now(), last_heartbeat_at = now(), "
      + "name = coalesce($2, d.name), platform = coalesce($3, d.platform) "
      + "FROM before, licenses l JOIN license_policies p ON p.id = l.policy_id "
      + "WHERE d.id = $1 AND before.id = d.id AND l.id = d.license_id RETURNING before.silent AS revived, "
      + Device.COLUMNS;
  private static final String INSERT = "WITH d AS (INSERT INTO license_devices (id, license_id, app_id, fingerprint, name, "
      + "platform) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *) SELECT " + Device.COLUMNS
      + " FROM d JOIN licenses l ON l.id = d.license_id JOIN license_policies p ON p.id = l.policy_id";

  /**
   * The outcome: the device that holds the seat and whether this call created it, or, when a limit of the
   * license refused the activation, the answer and the limit's name ({@code device_limit_reached},
   * {@code max_activations_per_day}) for the audit event and the security webhook. A refusal writes nothing,
   * so it is an outcome of a committed transaction rather than a failure.
   */
  record Activation(License license, Device device, boolean created, boolean revived, ApiException refusal,
                    String refusedFor) {

    static Activation refused(License license, ApiException refusal, String refusedFor) {
      return new Activation(license, null, false, false, refusal, refusedFor);
    }
  }

  private final Postgres pg;

  Seats(Postgres pg) {
    this.pg = pg;
  }

  /** Takes a seat; {@code audit} runs on a seat taken or held (not on a refusal) in the same transaction. */
  Future<Activation> activate(UUID licenseId, UUID appId, String fingerprint, String name, String platform,
                              AuditStaging.Step<Activation> audit) {
    return pg.inTransaction(conn -> conn.preparedQuery(LOCK_LICENSE).execute(Tuple.of(licenseId))
        .compose(rows -> {
          License license = License.fromRow(rows.iterator().next());
          ApiException refusal = license.refusal();
          return refusal != null
              ? Future.failedFuture(refusal)
              : conn.preparedQuery(COUNT).execute(Tuple.of(licenseId, fingerprint))
                  .compose(counted -> takeSeat(conn, license, appId, counted.iterator().next(), fingerprint, name,
                      platform))
                  .compose(activation -> activation.refusal() != null ? Future.succeededFuture(activation)
                      : audit.after(conn, activation));
        }));
  }

  private Future<Activation> takeSeat(SqlConnection conn, License license, UUID appId, Row counts, String fingerprint,
                                      String name, String platform) {
    UUID existing = counts.getUUID("existing");
    if (existing != null) {
      return conn.preparedQuery(REACTIVATE).execute(Tuple.of(existing, name, platform))
          .map(RowSet::iterator)
          .map(Iterator::next)
          .map(row -> new Activation(license, Device.fromRow(row), false, row.getBoolean("revived"), null, null));
    }
    long today = counts.getLong("today");
    if (today >= license.maxActivationsPerDay()) {
      Long freesIn = counts.getLong("cap_frees_in");
      ApiException answer = ApiException.rateLimited(ErrorCode.RATE_LIMITED,
          "key: this license reached its " + license.maxActivationsPerDay() + " activations of the last 24 hours",
          freesIn == null ? 60 : freesIn);
      return Future.succeededFuture(Activation.refused(license, answer, "max_activations_per_day"));
    }
    long live = counts.getLong("live");
    if (live >= license.maxDevices()) {
      ApiException answer = new ApiException(ErrorCode.DEVICE_LIMIT_REACHED,
          "key: " + live + " devices of this license are active, and it allows " + license.maxDevices()
              + "; deactivate one first",
          new JsonObject().put("max_devices", license.maxDevices()));
      return Future.succeededFuture(Activation.refused(license, answer, "device_limit_reached"));
    }
    Tuple args = Tuple.of(UUID.randomUUID(), license.id(), appId, fingerprint, name, platform);
    return conn.preparedQuery(INSERT).execute(args)
        .map(rows -> new Activation(license, Device.fromRow(rows.iterator().next()), true, false, null, null));
  }
}
