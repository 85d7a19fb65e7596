package dev.portcullis.user;

import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/** SQL for users, kept in one place. */
public final class UserRepository {

  /** A user and whether this call created it. */
  public record Found(User user, boolean created) {
  }

  private static final String FIND_OR_INSERT_BY_EMAIL = findOrInsert("email");
  private static final String FIND_OR_INSERT_BY_PHONE = findOrInsert("phone");
  private static final String BY_EMAIL = "SELECT " + User.COLUMNS + " FROM users WHERE app_id = $1 AND email = $2";
  private static final String BY_PHONE = "SELECT " + User.COLUMNS + " FROM users WHERE app_id = $1 AND phone = $2";

  private final Postgres pg;

  public UserRepository(Postgres pg) {
    this.pg = pg;
  }

  /**
   * The user of this email or phone (exactly one of them is non-null) in this app, created when there is
   * none: one round trip, whether the user is found or made. Concurrent first logins make one user: the
   * losing insert waits for the winner's commit and does nothing, and the loser then reads the winner's row.
   */
  public Future<Found> findOrCreate(UUID appId, String email, String phone) {
    String sql = email != null ? FIND_OR_INSERT_BY_EMAIL : FIND_OR_INSERT_BY_PHONE;
    Tuple params = Tuple.of(UUID.randomUUID(), appId, email != null ? email : phone);
    return pg.run(pool -> pool.preparedQuery(sql).execute(params))
        .compose(rows -> rows.rowCount() > 0
            ? Future.succeededFuture(found(rows.iterator().next()))
            : find(appId, email, phone).map(user -> new Found(user, false)));
  }

  private Future<User> find(UUID appId, String email, String phone) {
    String sql = email != null ? BY_EMAIL : BY_PHONE;
    return pg.run(pool -> pool.preparedQuery(sql).execute(Tuple.of(appId, email != null ? email : phone)))
        .compose(rows -> rows.rowCount() > 0
            ? Future.succeededFuture(first(rows))
            : Future.failedFuture(new IllegalStateException("user of app " + appId + " vanished after a conflict")));
  }

  /**
   * Selects the user of an identity and inserts one only when the select found none. ON CONFLICT without a
   * target covers both partial unique indexes, (app_id, email) and (app_id, phone). When a concurrent first
   * login commits after this statement's snapshot was taken, the insert does nothing and the statement
   * returns no row; {@link #find} then reads the winner's row with a fresh snapshot.
   */
  private static String findOrInsert(String column) {
    return "WITH found AS (SELECT " + User.COLUMNS + " FROM users WHERE app_id = $2 AND " + column + " = $3), "
        + "inserted AS (INSERT INTO users (id, app_id, " + column + ") SELECT $1::uuid, $2::uuid, $3::text "
        + "WHERE NOT EXISTS (SELECT 1 FROM found) ON CONFLICT DO NOTHING RETURNING " + User.COLUMNS + ") "
        + "SELECT " + User.COLUMNS + ", false AS created FROM found "
        + "UNION ALL SELECT " + User.COLUMNS + ", true AS created FROM inserted";
  }

  private static Found found(Row row) {
    return new Found(User.fromRow(row), row.getBoolean("created"));
  }

  private static User first(RowSet<Row> rows) {
    return User.fromRow(rows.iterator().next());
  }
}
