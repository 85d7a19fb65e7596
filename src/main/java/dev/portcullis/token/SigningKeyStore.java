package dev.portcullis.token;

import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Every statement on {@code signing_keys}. The app admin API changes keys inside its own transactions on
 * {@code apps} (create, rotate, shorten the TTL): those statements take the transaction's connection.
 */
public final class SigningKeyStore {

  /**
   * Joins each row of {@code apps} with the key that currently signs for it (the newest unretired one), as
   * columns {@code kid} and {@code public_pem}: for queries of apps with their key.
   */
  public static final String CURRENT_KEY_OF_APPS =
      "LEFT JOIN LATERAL (SELECT kid, public_pem FROM signing_keys s WHERE s.app_id = apps.id AND s.retired_at IS NULL "
          + "ORDER BY s.created_at DESC LIMIT 1) k ON true ";

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
          + "JOIN apps a ON a.id = k.app_id WHERE k.kid = $1 AND a.deleted_at IS NULL";
  private static final String INSERT =
      "INSERT INTO signing_keys (kid, app_id, public_pem, private_enc, created_at) VALUES ($1, $2, $3, $4, clock_timestamp())";
  private static final String RAISE_PUBLISH_FLOOR =
      "UPDATE signing_keys SET publish_floor = GREATEST(publish_floor, now() + $2::int * interval '1 second') "
          + "WHERE app_id = $1 AND retired_at IS NULL";
  /**
   * A key's certificates may live until $3 (an epoch second; a minute for clocks, then rounded up to the hour so
   * that one write serves an hour of checkouts): its publish floor, and its publish_until when it was retired meanwhile, are at least that.
   */
  private static final String KEEP_PUBLISHED_UNTIL =
      "UPDATE signing_keys SET publish_floor = GREATEST(publish_floor, until), "
          + "publish_until = CASE WHEN retired_at IS NULL THEN publish_until ELSE GREATEST(publish_until, until) END "
          + "FROM (SELECT to_timestamp(ceil(($3::bigint + 60) / 3600.0) * 3600) AS until) u "
          + "WHERE app_id = $1 AND kid = $2 AND (publish_floor IS NULL OR publish_floor < until)";
  /**
   * A key's row outlives its publication by up to an hour from its creation: the hourly limit of keys made per app
   * counts the rows made in the last hour (deleted sooner, a key retired at once freed its place in minutes).
   */
  private static final String DROP_EXPIRED = "DELETE FROM signing_keys WHERE app_id = $1 AND publish_until < now() "
      + "AND created_at < now() - interval '1 hour'";
  private static final String CAP_KEPT =
      "UPDATE signing_keys SET publish_until = LEAST(publish_until, "
          + "GREATEST(retired_at + $2::int * interval '1 second', clock_timestamp())), "
          + "publish_floor = NULL WHERE app_id = $1 AND kid IN (SELECT kid FROM signing_keys WHERE app_id = $1 "
          + "AND retired_at IS NOT NULL AND publish_until > clock_timestamp() + $2::int * interval '1 second' "
          + "ORDER BY created_at DESC OFFSET $3)";
  private static final String RETIRE =
      "UPDATE signing_keys SET retired_at = clock_timestamp(), "
          + "publish_until = GREATEST(clock_timestamp() + $2::int * interval '1 second', publish_floor) "
          + "WHERE app_id = $1 AND retired_at IS NULL";
  private static final String PUBLISHED =
      "SELECT a.id, k.kid, k.public_pem FROM apps a LEFT JOIN signing_keys k ON k.app_id = a.id "
          + "AND (k.publish_until IS NULL OR k.publish_until > now()) WHERE a.id = $1 AND a.deleted_at IS NULL "
          + "ORDER BY k.created_at DESC";

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

  /** Adds a key to the app; it signs from now on (the newest unretired key is the current one). */
  public static Future<Void> insert(SqlConnection conn, UUID appId, SigningKeyMaterial key) {
    return conn.preparedQuery(INSERT)
        .execute(Tuple.of(key.kid(), appId, key.publicPem(), Buffer.buffer(key.privateSealed())))
        .mapEmpty();
  }

  /**
   * Retires the app's signing key(s), published {@code publishSeconds} more (or until their floor), after
   * dropping the retired keys whose publication has ended.
   */
  public static Future<Void> retire(SqlConnection conn, UUID appId, int publishSeconds) {
    return conn.preparedQuery(DROP_EXPIRED).execute(Tuple.of(appId))
        .compose(ignored -> conn.preparedQuery(RETIRE).execute(Tuple.of(appId, publishSeconds)))
        .mapEmpty();
  }

  /**
   * Keeps at most {@code keep} retired keys published beyond any access token for the offline certificates they
   * signed: older ones leave the JWKS once their access tokens could have expired ({@code publishSeconds}, the
   * longest access token TTL and its margin, after their retirement; at once for most), and
   * the certificates they signed stop verifying offline (a device checks out a new one online). The number of keys
   * that left.
   */
  public static Future<Integer> capKeptForCertificates(SqlConnection conn, UUID appId, int publishSeconds, int keep) {
    return conn.preparedQuery(CAP_KEPT).execute(Tuple.of(appId, publishSeconds, keep)).map(rows -> rows.rowCount());
  }

  /** The app's current key, once retired, stays published at least {@code seconds} from now. */
  public static Future<Void> raisePublishFloor(SqlConnection conn, UUID appId, int seconds) {
    return conn.preparedQuery(RAISE_PUBLISH_FLOOR).execute(Tuple.of(appId, seconds)).mapEmpty();
  }

  /** The key stays in the app's JWKS at least until {@code epochSecond} (a long-lived token it signed expires). */
  Future<Void> keepPublishedUntil(UUID appId, String kid, long epochSecond) {
    return pg.run(pool -> pool.preparedQuery(KEEP_PUBLISHED_UNTIL).execute(Tuple.of(appId, kid, epochSecond)))
        .mapEmpty();
  }

  private static Row first(RowSet<Row> rows) {
    var iterator = rows.iterator();
    return iterator.hasNext() ? iterator.next() : null;
  }
}
