package dev.portcullis.housekeeping;

import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One housekeeping run: deletes in small batches, each its own short transaction: expired sessions (their refresh
 * tokens go by cascade), refresh tokens past their expiry, retired signing keys no longer published, conversations
 * expired 30 days ago, and the rows of deleted apps (their licences, conversations, users with their sessions and
 * tenants with their members, then the app row with what little remains). Each batch first takes a
 * transaction-level Postgres advisory lock without waiting, so one pod at a time does the work; a pod that finds it
 * taken ends its run there. The lock goes with
 * the batch's commit: a session-level lock taken and released by separate statements would, behind a pooler in
 * transaction mode (docs/capacity.md), be taken on one server connection and released on another (leaked: every
 * pod skips until that connection closes, or two pods sweep at once).
 */
public final class Housekeeping {

  private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);
  /** Class 30 of the two-int advisory locks: clear of the per-app locks (20, 21). */
  private static final String TRY_LOCK = "SELECT pg_try_advisory_xact_lock(30, 1) AS locked";

  /** How long a conversation's result stays readable after the conversation expired. */
  public static final int CONVERSATIONS_KEPT_DAYS = 30;
  /** How long a conversation no browser ever opened (no result to read) is kept after it expired. */
  public static final int UNOPENED_CONVERSATIONS_KEPT_DAYS = 1;

  /**
   * A deleted app's rows go in more batches a run than expired ones: there are many at once (every user of the app)
   * and no reason to keep them, but each batch stays as short.
   */
  private static final int PURGE_BATCHES_FACTOR = 10;

  /** What one kind of batch deletes: at most $1 rows; a run takes up to maxBatches times {@code factor} batches. */
  private record Sweep(String name, String sql, int factor) {

    Sweep(String name, String sql) {
      this(name, sql, 1);
    }

    /** Rows of {@code table} (primary key {@code id}) whose app is deleted, through its index on app_id. */
    static Sweep ofDeletedApps(String table) {
      return new Sweep(table + " of deleted apps", "DELETE FROM " + table + " WHERE id IN (SELECT t.id FROM apps a "
          + "CROSS JOIN LATERAL (SELECT id FROM " + table + " WHERE app_id = a.id LIMIT $1) t "
          + "WHERE a.deleted_at IS NOT NULL LIMIT $1)", PURGE_BATCHES_FACTOR);
    }
  }

  private static final String HOLDS_NO = " AND NOT EXISTS (SELECT 1 FROM %s WHERE app_id = a.id)";

  private static final List<Sweep> SWEEPS = List.of(
      new Sweep("sessions", "DELETE FROM sessions WHERE id IN "
          + "(SELECT id FROM sessions WHERE expires_at < now() LIMIT $1)"),
      new Sweep("refresh_tokens", "DELETE FROM refresh_tokens WHERE token_hash IN "
          + "(SELECT token_hash FROM refresh_tokens WHERE expires_at < now() LIMIT $1)"),
      new Sweep("signing_keys", "DELETE FROM signing_keys WHERE kid IN (SELECT kid FROM signing_keys "
          + "WHERE retired_at IS NOT NULL AND publish_until < now() AND created_at < now() - interval '1 hour' "
          + "LIMIT $1)"),
      new Sweep("conversations", "DELETE FROM conversations WHERE id IN (SELECT id FROM conversations "
          + "WHERE expires_at < now() - interval '" + CONVERSATIONS_KEPT_DAYS + " days' LIMIT $1)"),
      new Sweep("unopened conversations", "DELETE FROM conversations WHERE id IN (SELECT id FROM conversations "
          + "WHERE status = 'CREATED' AND expires_at < now() - interval '" + UNOPENED_CONVERSATIONS_KEPT_DAYS
          + " days' LIMIT $1)"),
      Sweep.ofDeletedApps("licenses"),
      Sweep.ofDeletedApps("conversations"),
      Sweep.ofDeletedApps("users"),
      Sweep.ofDeletedApps("tenants"),
      // Last, once the big tables hold nothing of it: the cascade takes its roles, keys, policies and credentials.
      new Sweep("deleted apps", "DELETE FROM apps WHERE id IN (SELECT id FROM apps a WHERE deleted_at IS NOT NULL"
          + HOLDS_NO.formatted("licenses") + HOLDS_NO.formatted("conversations") + HOLDS_NO.formatted("users")
          + HOLDS_NO.formatted("tenants") + " LIMIT $1)"));

  private final Postgres pg;
  private final int batchSize;
  private final int maxBatches;

  public Housekeeping(Postgres pg, int batchSize, int maxBatches) {
    this.pg = pg;
    this.batchSize = batchSize;
    this.maxBatches = maxBatches;
  }

  /** Rows deleted by this run; 0 when another process holds the lock. */
  public Future<Integer> run() {
    return sweepAll(0, 0);
  }

  /** What the batches of one sweep deleted, and whether they stopped because another process holds the lock. */
  private record Swept(int deleted, boolean yielded) {
  }

  private Future<Integer> sweepAll(int index, int deleted) {
    if (index == SWEEPS.size()) {
      return Future.succeededFuture(deleted);
    }
    Sweep sweep = SWEEPS.get(index);
    return sweep(sweep, 0, 0)
        .onSuccess(swept -> {
          if (swept.deleted() > 0) {
            LOG.info("housekeeping deleted {} {}", swept.deleted(), sweep.name());
          }
        })
        .compose(swept -> swept.yielded() ? Future.succeededFuture(deleted + swept.deleted())
            : sweepAll(index + 1, deleted + swept.deleted()));
  }

  /** Batches until one deletes fewer than a batch, or {@code maxBatches} ran (the next run goes on). */
  private Future<Swept> sweep(Sweep sweep, int batches, int deleted) {
    return batch(sweep).compose(count -> {
      if (count < 0) {
        return Future.succeededFuture(new Swept(deleted, true));
      }
      return count < batchSize || batches + 1 >= maxBatches * sweep.factor()
          ? Future.succeededFuture(new Swept(deleted + count, false))
          : sweep(sweep, batches + 1, deleted + count);
    });
  }

  /** One batch in its own transaction, under the lock: the rows it deleted, or -1 when another process holds it. */
  private Future<Integer> batch(Sweep sweep) {
    return pg.inTransaction(conn -> conn.query(TRY_LOCK).execute()
        .compose(rows -> !rows.iterator().next().getBoolean("locked") ? Future.succeededFuture(-1)
            : conn.preparedQuery(sweep.sql()).execute(Tuple.of(batchSize)).map(SqlResult::rowCount)));
  }
}
