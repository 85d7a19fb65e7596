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

  // ON CONFLICT without a target covers both partial unique indexes (app_id, email) and (app_id, phone).
  private static final String INSERT =
      "INSERT INTO users (id, app_id, email, phone) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING "
          + User.COLUMNS;
  private static final String BY_EMAIL = "SELECT " + User.COLUMNS + " FROM users WHERE app_id = $1 AND email = $2";
  private static final String BY_PHONE = "SELECT " + User.COLUMNS + " FROM users WHERE app_id = $1 AND phone = $2";

  private final Postgres pg;

  public UserRepository(Postgres pg) {
    this.pg = pg;
  }

  /**
   * The user of this email or phone in this app, created when there is none. Concurrent first logins make
   * one user: the losing insert waits for the winner's commit, does nothing, and the select then sees the row.
   */
  public Future<Found> findOrCreate(UUID appId, String email, String phone) {
    Tuple insert = Tuple.of(UUID.randomUUID(), appId, email, phone);
    return pg.run(pool -> pool.preparedQuery(INSERT).execute(insert))
        .compose(inserted -> inserted.rowCount() > 0
            ? Future.succeededFuture(new Found(first(inserted), true))
            : find(appId, email, phone).map(user -> new Found(user, false)));
  }

  private Future<User> find(UUID appId, String email, String phone) {
    String sql = email != null ? BY_EMAIL : BY_PHONE;
    return pg.run(pool -> pool.preparedQuery(sql).execute(Tuple.of(appId, email != null ? email : phone)))
        .compose(rows -> rows.rowCount() > 0
            ? Future.succeededFuture(first(rows))
            : Future.failedFuture(new IllegalStateException("user of app " + appId + " vanished after a conflict")));
  }

  private static User first(RowSet<Row> rows) {
    return User.fromRow(rows.iterator().next());
  }
}
