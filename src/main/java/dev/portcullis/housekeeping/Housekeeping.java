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
 * tokens go by cascade), refresh tokens past their expiry, retired signing keys no longer published, and
 * conversations expired 30 days ago. Each batch first takes a transaction-level Postgres advisory lock without
 * waiting, so one pod at a time does the work; a pod that finds it taken ends its run there. The lock goes with
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

  /** What one kind of batch deletes: at most $1 rows. */
  private record Sweep(String name, String sql) {
  }

  private static final List<Sweep> SWEEPS = List.of(
      new Sweep("sessions", "DELETE FROM sessions WHERE id IN "
          + "(SELECT id FROM sessions WHERE expires_at < now() LIMIT $1)"),
      new Sweep("refresh_tokens", "DELETE FROM refresh_tokens WHERE token_hash IN "
          + "(SELECT token_hash FROM refresh_tokens WHERE expires_at < now() LIMIT $1)"),
      new Sweep("signing_keys", "DELETE FROM signing_keys WHERE kid IN (SELECT kid FROM signing_keys "
          + "WHERE retired_at IS NOT NULL AND publish_until < now() LIMIT $1)"),
      new Sweep("conversations", "DELETE FROM conversations WHERE id IN (SELECT id FROM conversations "
          + "WHERE expires_at < now() - interval '" + CONVERSATIONS_KEPT_DAYS + " days' LIMIT $1)"));

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
      return count < batchSize || batches + 1 >= maxBatches
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
