package dev.portcullis.token;

import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** SQL for signing keys, kept in one place. */
public final class SigningKeyStore {

  /** The current key of an app: its newest key that is not retired. */
  private static final String CURRENT =
      "SELECT kid, private_enc FROM signing_keys WHERE app_id = $1 AND retired_at IS NULL "
          + "ORDER BY created_at DESC LIMIT 1";
  /** Serializes first-key creation per app across every process; class id 20 keeps clear of other locks. */
  private static final String LOCK_APP = "SELECT pg_advisory_xact_lock(20, hashtext($1::text))";
  private static final String INSERT_IF_NONE =
      "INSERT INTO signing_keys (kid, app_id, public_pem, private_enc) SELECT $1, $2, $3, $4 "
          + "WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE app_id = $2 AND retired_at IS NULL)";
  private static final String VERIFICATION_KEY =
      "SELECT k.kid, k.app_id, k.public_pem, k.publish_until, a.slug FROM signing_keys k "
          + "JOIN apps a ON a.id = k.app_id WHERE k.kid = $1";
  private static final String PUBLISHED =
      "SELECT a.id, k.kid, k.public_pem FROM apps a LEFT JOIN signing_keys k ON k.app_id = a.id "
          + "AND (k.publish_until IS NULL OR k.publish_until > now()) WHERE a.id = $1 ORDER BY k.created_at DESC";

  /** A sealed private key as stored. */
  record Sealed(String kid, byte[] privateSealed) {
  }

  /** What verifying a token signed with one key needs. */
  record PublicKeyRow(String kid, UUID appId, String slug, String publicPem, OffsetDateTime publishUntil) {
  }

  /** A key as published in a JWKS. */
  record Published(String kid, String publicPem) {
  }

  private final Postgres pg;

  public SigningKeyStore(Postgres pg) {
    this.pg = pg;
  }

  /** The current key of an app, or null when it has none. */
  Future<Sealed> current(UUID appId) {
    return pg.run(pool -> pool.preparedQuery(CURRENT).execute(Tuple.of(appId)))
        .map(rows -> {
          Row row = first(rows);
          return row == null ? null : new Sealed(row.getString("kid"), row.getBuffer("private_enc").getBytes());
        });
  }

  /** Stores {@code key} as the app's current key unless another process gave the app one first. */
  Future<Void> insertIfNone(UUID appId, SigningKeyMaterial key) {
    Tuple insert = Tuple.of(key.kid(), appId, key.publicPem(), Buffer.buffer(key.privateSealed()));
    return pg.inTransaction(conn -> conn.preparedQuery(LOCK_APP).execute(Tuple.of(appId.toString()))
        .compose(locked -> conn.preparedQuery(INSERT_IF_NONE).execute(insert))
        .mapEmpty());
  }

  /** The key with this kid, or null when there is none. */
  Future<PublicKeyRow> byKid(String kid) {
    return pg.run(pool -> pool.preparedQuery(VERIFICATION_KEY).execute(Tuple.of(kid)))
        .map(rows -> {
          Row row = first(rows);
          return row == null ? null : new PublicKeyRow(row.getString("kid"), row.getUUID("app_id"),
              row.getString("slug"), row.getString("public_pem"), row.getOffsetDateTime("publish_until"));
        });
  }

  /** The keys an app publishes, newest first, or null when there is no such app. */
  Future<List<Published>> published(UUID appId) {
    return pg.run(pool -> pool.preparedQuery(PUBLISHED).execute(Tuple.of(appId)))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          List<Published> keys = new ArrayList<>();
          for (Row row : rows) {
            if (row.getString("kid") != null) {
              keys.add(new Published(row.getString("kid"), row.getString("public_pem")));
            }
          }
          return keys;
        });
  }

  private static Row first(RowSet<Row> rows) {
    var iterator = rows.iterator();
    return iterator.hasNext() ? iterator.next() : null;
  }
}
