package dev.portcullis.housekeeping;

import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One housekeeping run: on one connection, takes a Postgres advisory lock without waiting (so one pod at a time
 * does the work, and a pod that finds it taken skips the run), then deletes in small batches, each its own
 * statement (short locks, no long transaction): expired sessions (their refresh tokens go by cascade), refresh
 * tokens past their expiry, retired signing keys no longer published, and conversations expired 30 days ago.
 * Releases the lock on the same connection.
 */
public final class Housekeeping {

  private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);
  /** Class 30 of the two-int advisory locks: clear of the per-app locks (20, 21). */
  private static final String TRY_LOCK = "SELECT pg_try_advisory_lock(30, 1) AS locked";
  private static final String UNLOCK = "SELECT pg_advisory_unlock(30, 1)";

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
    return pg.withConnection(conn -> conn.query(TRY_LOCK).execute()
        .compose(rows -> !rows.iterator().next().getBoolean("locked")
            ? Future.succeededFuture(0)
            : sweepAll(conn, 0, 0).eventually(() -> conn.query(UNLOCK).execute())));
  }

  private Future<Integer> sweepAll(SqlConnection conn, int index, int deleted) {
    if (index == SWEEPS.size()) {
      return Future.succeededFuture(deleted);
    }
    Sweep sweep = SWEEPS.get(index);
    return sweep(conn, sweep, 0, 0)
        .onSuccess(count -> {
          if (count > 0) {
            LOG.info("housekeeping deleted {} {}", count, sweep.name());
          }
        })
        .compose(count -> sweepAll(conn, index + 1, deleted + count));
  }

  /** Batches until one deletes fewer than a batch, or {@code maxBatches} ran (the next run goes on). */
  private Future<Integer> sweep(SqlConnection conn, Sweep sweep, int batches, int deleted) {
    return conn.preparedQuery(sweep.sql()).execute(Tuple.of(batchSize))
        .compose(rows -> rows.rowCount() < batchSize || batches + 1 >= maxBatches
            ? Future.succeededFuture(deleted + rows.rowCount())
            : sweep(conn, sweep, batches + 1, deleted + rows.rowCount()));
  }
}
