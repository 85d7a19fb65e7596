package dev.portcullis.app;

import dev.portcullis.core.Postgres;
import dev.portcullis.token.SigningKeyMaterial;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.UUID;

/** SQL for apps, kept in one place. */
public final class AppRepository {

  private static final String SELECT_BY_ID = "SELECT " + App.COLUMNS + " FROM apps WHERE id = $1";
  private static final String INSERT_APP =
      "INSERT INTO apps (id, owner_id, name, slug, secret_hash, callback_urls, settings) VALUES ($1, $2, $3, $4, $5, $6, $7) "
          + "RETURNING " + App.COLUMNS;
  private static final String INSERT_KEY =
      "INSERT INTO signing_keys (kid, app_id, public_pem, private_enc) VALUES ($1, $2, $3, $4)";

  private final Postgres pg;

  public AppRepository(Postgres pg) {
    this.pg = pg;
  }

  /** The app, or null when there is none with that id. */
  public Future<App> find(UUID id) {
    return pg.run(pool -> pool.preparedQuery(SELECT_BY_ID).execute(Tuple.of(id)))
        .map(rows -> first(rows));
  }

  /** Inserts an app and its first signing key in one transaction. */
  public Future<App> create(UUID ownerId, String name, String slug, byte[] secretHash, List<String> callbackUrls,
                            AppSettings settings, SigningKeyMaterial key) {
    UUID id = UUID.randomUUID();
    Tuple app = Tuple.of(id, ownerId, name, slug, Buffer.buffer(secretHash), new JsonArray(callbackUrls), settings.toJson());
    return pg.inTransaction(conn -> conn.preparedQuery(INSERT_APP).execute(app)
        .compose(rows -> conn.preparedQuery(INSERT_KEY)
            .execute(Tuple.of(key.kid(), id, key.publicPem(), Buffer.buffer(key.privateSealed())))
            .map(ignored -> first(rows))));
  }

  private static App first(RowSet<Row> rows) {
    var iterator = rows.iterator();
    return iterator.hasNext() ? App.fromRow(iterator.next()) : null;
  }
}
