package dev.portcullis.app;

import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditOutbox;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Postgres;
import dev.portcullis.token.SigningKeyMaterial;
import dev.portcullis.token.SigningKeyStore;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/** SQL for apps, kept in one place; their signing keys' statements are {@link SigningKeyStore}'s. */
public final class AppRepository {

  /**
   * Seconds a retired signing key stays published beyond the access token TTL: covers the verifiers' expiry
   * leeway (1 s here, 60 s in common JWT libraries), clock skew between gateway processes and verifiers (a token
   * signed by a process running ahead expires later), and token verticles that still sign with a cached key or TTL
   * for a moment. It was 60 s, less than a realistic skew plus a leeway (clock probe).
   */
  public static final int KEY_PUBLISH_MARGIN_SECONDS = 300;

  /** An app being deleted (deleted_at set, its rows going in the background) is no longer there for any request. */
  private static final String LIVE = "apps.deleted_at IS NULL";
  private static final String SELECT_BY_ID = "SELECT " + App.COLUMNS + " FROM apps WHERE id = $1 AND " + LIVE;
  private static final String LOCK_BY_ID = SELECT_BY_ID + " FOR UPDATE";
  private static final String INSERT_APP =
      "INSERT INTO apps (id, owner_id, name, slug, secret_hash, callback_urls, settings) VALUES ($1, $2, $3, $4, $5, $6, $7) "
          + "RETURNING " + App.COLUMNS;
  /** Signing keys made for one app per hour (its first key and its rotations), and keys one app may publish at once. */
  public static final int MAX_ROTATIONS_PER_HOUR = 10;
  public static final int MAX_PUBLISHED_KEYS = 10;
  /**
   * Retired keys one app keeps published for the offline certificates they signed: a rotation beyond it takes the
   * oldest out of the JWKS (never refused, so a suspect key can always be rotated away); without it, rotating and
   * checking out in a loop would keep thousands of keys for a year in every verifier's JWKS.
   */
  public static final int MAX_KEPT_FOR_CERTIFICATES = 30;
  /**
   * A retired key published for its access tokens (at most a day and a minute more). A key kept longer is kept for
   * offline licence certificates it signed; it does not count against MAX_PUBLISHED_KEYS, or an owner could not
   * rotate away a suspect key for as long as a certificate lives (30 days by default).
   */
  private static final String FOR_ACCESS_TOKENS =
      "(publish_until > now() AND publish_until <= now() + interval '1 day 60 seconds')";
  private static final String ROTATION_LIMITS = "SELECT "
      + "count(*) FILTER (WHERE created_at > now() - interval '1 hour') AS recent, "
      + "coalesce(ceil(extract(epoch FROM min(created_at) FILTER (WHERE created_at > now() - interval '1 hour') "
      + "+ interval '1 hour' - now())), 0)::bigint AS recent_wait, "
      + "count(*) FILTER (WHERE publish_until IS NULL OR " + FOR_ACCESS_TOKENS + ") AS published, "
      + "coalesce(ceil(extract(epoch FROM min(publish_until) FILTER (WHERE " + FOR_ACCESS_TOKENS + ") - now())), 0)::bigint "
      + "AS published_wait FROM signing_keys WHERE app_id = $1";
  /** Serializes app creation per owner across every process; class id 21 keeps clear of other locks. */
  private static final String LOCK_OWNER = "SELECT pg_advisory_xact_lock(21, hashtext($1::text))";
  /**
   * The owner's row, held (shared) until the app is stored: a disable waits for a creation under way, and one that
   * committed first refuses it. The owner was checked when the request was authenticated, but the RSA key made since
   * takes a while: creations that passed that check went on after the disable had answered.
   */
  private static final String OWNER_ENABLED = "SELECT disabled FROM users WHERE id = $1 FOR SHARE";
  private static final String MISSING_ROLES = "SELECT n FROM unnest($2::text[]) n "
      + "WHERE NOT EXISTS (SELECT 1 FROM roles r WHERE r.app_id = $1 AND r.name = n)";
  private static final String COUNT_OWNED = "SELECT count(*) FROM apps WHERE owner_id = $1 AND " + LIVE;
  private static final String PRECHECK =
      "SELECT (SELECT count(*) FROM apps WHERE owner_id = $1 AND " + LIVE + ") AS owned, "
          + "EXISTS (SELECT 1 FROM apps WHERE slug = $2 AND " + LIVE + ") AS taken";

  /** Apps with the key that currently signs (the newest unretired one). */
  private static final String WITH_KEY =
      "SELECT " + App.COLUMNS + ", k.kid, k.public_pem FROM apps " + SigningKeyStore.CURRENT_KEY_OF_APPS;
  private static final String VIEW_BY_ID = WITH_KEY + "WHERE apps.id = $1 AND " + LIVE;
  private static final String PAGE = " AND " + LIVE + " AND (apps.created_at, apps.id) < ($2, $3) "
      + "ORDER BY apps.created_at DESC, apps.id DESC LIMIT $4";
  private static final String LIST_ALL = WITH_KEY + "WHERE apps.id <> $1" + PAGE;
  private static final String LIST_OWNED = WITH_KEY + "WHERE apps.owner_id = $1" + PAGE;

  private static final String UPDATE_APP =
      "UPDATE apps SET name = $2, callback_urls = $3, settings = $4, updated_at = now() WHERE id = $1 AND " + LIVE
          + " RETURNING "
          + App.COLUMNS;
  private static final String UPDATE_SECRET =
      "UPDATE apps SET secret_hash = $2, updated_at = now() WHERE id = $1 AND id <> $3 AND " + LIVE;
  /** Marks the app deleted; {@code Housekeeping} removes its rows in batches, then the app row. */
  private static final String DELETE_APP =
      "UPDATE apps SET deleted_at = now(), updated_at = now() WHERE id = $1 AND id <> $2 AND " + LIVE;

  /** Records a staged event once its change committed (see {@link AuditOutbox#record}). */
  public Future<Void> recordStaged(AuditLog audit, AuditOutbox.Staged staged) {
    return AuditOutbox.record(pg, audit, staged);
  }

  /** One page of apps, newest first, and the cursor of the next page (null on the last). */
  public record Page(List<AppWithKey> apps, String nextCursor) {
  }

  /** The app before and after a PATCH. */
  public record Change(App before, App after) {
  }

  private final Postgres pg;

  public AppRepository(Postgres pg) {
    this.pg = pg;
  }

  /** The app, or null when there is none with that id. */
  public Future<App> find(UUID id) {
    return pg.run(pool -> pool.preparedQuery(SELECT_BY_ID).execute(Tuple.of(id)))
        .map(rows -> first(rows, App::fromRow));
  }

  /** The app with its current signing key, or null. */
  public Future<AppWithKey> findWithKey(UUID id) {
    return pg.run(pool -> pool.preparedQuery(VIEW_BY_ID).execute(Tuple.of(id)))
        .map(rows -> first(rows, AppWithKey::fromRow));
  }

  /** A page of the apps of {@code ownerId}, or of every client app when it is null (the operator). */
  public Future<Page> list(UUID ownerId, String cursor, int limit) {
    AppCursor after = AppCursor.parse(cursor);
    String sql = ownerId == null ? LIST_ALL : LIST_OWNED;
    Tuple params = Tuple.of(ownerId == null ? App.CONSOLE_ID : ownerId, after.createdAt(), after.id(), limit + 1);
    return pg.run(pool -> pool.preparedQuery(sql).execute(params))
        .map(rows -> {
          List<AppWithKey> apps = new ArrayList<>(rows.size());
          rows.forEach(row -> apps.add(AppWithKey.fromRow(row)));
          if (apps.size() <= limit) {
            return new Page(apps, null);
          }
          List<AppWithKey> page = apps.subList(0, limit);
          return new Page(List.copyOf(page), AppCursor.after(page.get(limit - 1).app()).encode());
        });
  }

  /**
   * Inserts an app and its first signing key in one transaction. An owner already holding {@code maxPerOwner}
   * apps gets {@code 403 forbidden}: the count is taken under a per-owner advisory lock, so concurrent creations
   * cannot both slip under the limit.
   */
  public Future<App> create(UUID ownerId, String name, String slug, byte[] secretHash, List<String> callbackUrls,
                            AppSettings settings, SigningKeyMaterial key, int maxPerOwner,
                            Function<UUID, AuditOutbox.Staged> event) {
    UUID id = UUID.randomUUID();
    Tuple app = Tuple.of(id, ownerId, name, slug, Buffer.buffer(secretHash), new JsonArray(callbackUrls), settings.toJson());
    return pg.inTransaction(conn -> underOwnerLimit(conn, ownerId, maxPerOwner)
        .compose(ok -> conn.preparedQuery(INSERT_APP).execute(app))
        .compose(rows -> SigningKeyStore.insert(conn, id, key).map(ignored -> first(rows, App::fromRow)))
        .compose(created -> AuditOutbox.stage(conn, event.apply(id)).map(created)));
  }

  /**
   * The refusals a creation can know before any work: {@code 403} when the owner already holds {@code maxPerOwner}
   * apps, {@code 409} when the slug is taken. {@link #create} checks both again where it counts (under the lock,
   * and the unique index); this spares a refused request the RSA key and a place in the owner's hourly quota.
   */
  public Future<Void> creationRefusal(UUID ownerId, String slug, int maxPerOwner) {
    return pg.run(pool -> pool.preparedQuery(PRECHECK).execute(Tuple.of(ownerId, slug))).compose(rows -> {
      Row row = rows.iterator().next();
      if (ownerId != null && row.getLong("owned") >= maxPerOwner) {
        return Future.failedFuture(new ApiException(ErrorCode.FORBIDDEN,
            "an owner may hold at most " + maxPerOwner + " apps (PORTCULLIS_MAX_APPS_PER_OWNER)"));
      }
      return row.getBoolean("taken")
          ? Future.failedFuture(new ApiException(ErrorCode.CONFLICT, "slug: '" + slug + "' is taken"))
          : Future.succeededFuture();
    });
  }

  private static Future<Void> underOwnerLimit(SqlConnection conn, UUID ownerId, int maxPerOwner) {
    if (ownerId == null) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery(LOCK_OWNER).execute(Tuple.of(ownerId.toString()))
        .compose(locked -> conn.preparedQuery(OWNER_ENABLED).execute(Tuple.of(ownerId)))
        .compose(owner -> owner.rowCount() == 1 && !owner.iterator().next().getBoolean("disabled")
            ? conn.preparedQuery(COUNT_OWNED).execute(Tuple.of(ownerId))
            : Future.failedFuture(new ApiException(ErrorCode.USER_DISABLED, "this owner account is disabled")))
        .compose(rows -> rows.iterator().next().getLong(0) < maxPerOwner
            ? Future.succeededFuture()
            : Future.failedFuture(new ApiException(ErrorCode.FORBIDDEN,
                "an owner may hold at most " + maxPerOwner + " apps (PORTCULLIS_MAX_APPS_PER_OWNER)")));
  }

  /**
   * Changes name, callback URLs and settings (each only when given; {@code settingsChanges} are validated,
   * partial settings merged over the stored ones). Null when the app does not exist.
   */
  public Future<Change> update(UUID id, String name, List<String> callbackUrls, JsonObject settingsChanges,
                               Function<Change, AuditOutbox.Staged> event) {
    return pg.inTransaction(conn -> conn.preparedQuery(LOCK_BY_ID).execute(Tuple.of(id))
        .compose(rows -> {
          App before = first(rows, App::fromRow);
          if (before == null) {
            return Future.succeededFuture(null);
          }
          AppSettings settings = AppSettings.merge(before.settings(), settingsChanges);
          Tuple values = Tuple.of(id, name == null ? before.name() : name,
              new JsonArray(callbackUrls == null ? before.callbackUrls() : callbackUrls), settings.toJson());
          return defaultRolesExist(conn, id, settingsChanges)
              .compose(exist -> conn.preparedQuery(UPDATE_APP).execute(values))
              .map(updated -> new Change(before, first(updated, App::fromRow)))
              .compose(change -> keepShortenedTtlPublished(conn, change).map(change))
              .compose(change -> {
                AuditOutbox.Staged changed = event.apply(change);
                return changed == null ? Future.succeededFuture(change) : AuditOutbox.stage(conn, changed).map(change);
              });
        }));
  }

  /**
   * The default_roles a change sets still name roles of the app, read under the app's row lock, which a role's
   * deletion takes too: checked before the lock, a role deleted meanwhile would be every new user's default.
   */
  private static Future<Void> defaultRolesExist(SqlConnection conn, UUID id, JsonObject settingsChanges) {
    JsonArray names = settingsChanges == null ? null : settingsChanges.getJsonArray(AppSettings.DEFAULT_ROLES);
    if (names == null || names.isEmpty()) {
      return Future.succeededFuture();
    }
    String[] wanted = names.stream().map(String::valueOf).toArray(String[]::new);
    Tuple args = Tuple.tuple().addUUID(id).addArrayOfString(wanted);
    return conn.preparedQuery(MISSING_ROLES).execute(args).compose(rows -> rows.size() == 0
        ? Future.succeededFuture()
        : Future.failedFuture(ApiException.invalid("settings." + AppSettings.DEFAULT_ROLES, "no role "
            + rows.iterator().next().getString(0) + " in this app (it was deleted meanwhile)")));
  }

  /** Replaces the secret hash; false when the app does not exist. */
  public Future<Boolean> replaceSecret(UUID id, byte[] secretHash, AuditOutbox.Staged event) {
    return pg.inTransaction(conn -> conn.preparedQuery(UPDATE_SECRET)
        .execute(Tuple.of(id, Buffer.buffer(secretHash), App.CONSOLE_ID))
        .compose(rows -> rows.rowCount() == 0
            ? Future.succeededFuture(false)
            : AuditOutbox.stage(conn, event).map(true)));
  }

  /**
   * Deletes the app: from now on it is not found, its slug is free and its credentials and tokens are refused;
   * housekeeping removes its users, sessions, tokens, licences and keys in batches. False when it does not exist.
   */
  public Future<Boolean> delete(UUID id, AuditOutbox.Staged event) {
    return pg.inTransaction(conn -> conn.preparedQuery(DELETE_APP).execute(Tuple.of(id, App.CONSOLE_ID))
        .compose(rows -> rows.rowCount() == 0
            ? Future.succeededFuture(false)
            : AuditOutbox.stage(conn, event).map(true)));
  }

  /**
   * Makes {@code key} the app's signing key in one transaction: the key that signed until now is retired and
   * stays published until every token it signed has expired. The app row is locked first, so concurrent
   * rotations of one app run one after the other and never leave two unretired keys (times are read after
   * the lock with clock_timestamp(), so keys order as their rotations did). False when the app does not exist.
   */
  public Future<Boolean> rotateSigningKey(UUID id, SigningKeyMaterial key, AuditOutbox.Staged event) {
    return pg.inTransaction(conn -> conn.preparedQuery(LOCK_BY_ID).execute(Tuple.of(id))
        .compose(rows -> {
          App app = first(rows, App::fromRow);
          if (app == null) {
            return Future.succeededFuture(false);
          }
          int publishSeconds = app.settings().accessTokenTtl() + KEY_PUBLISH_MARGIN_SECONDS;
          return rotationAllowed(conn, id)
              .compose(allowed -> SigningKeyStore.retire(conn, id, publishSeconds))
              // Beyond the longest access token any TTL ever gave (a floor raised for a shortened TTL is no certificate's)
              .compose(ignored -> SigningKeyStore.capKeptForCertificates(conn, id,
                  AppSettings.MAX_ACCESS_TOKEN_TTL + KEY_PUBLISH_MARGIN_SECONDS, MAX_KEPT_FOR_CERTIFICATES))
              .compose(ignored -> SigningKeyStore.insert(conn, id, key))
              .compose(ignored -> AuditOutbox.stage(conn, event))
              .map(true);
        }));
  }

  /**
   * Refuses a rotation beyond {@link #MAX_ROTATIONS_PER_HOUR} an hour or {@link #MAX_PUBLISHED_KEYS} published
   * keys ({@code 429 rate_limited}, with the wait): each rotation costs an RSA key generation and grows the JWKS
   * every verifier downloads. Cheap (one indexed count); run before generating a key and again under the lock.
   */
  public Future<Void> rotationAllowed(UUID id) {
    return pg.run(pool -> pool.preparedQuery(ROTATION_LIMITS).execute(Tuple.of(id))).compose(AppRepository::judgeRotation);
  }

  private static Future<Void> rotationAllowed(SqlConnection conn, UUID id) {
    return conn.preparedQuery(ROTATION_LIMITS).execute(Tuple.of(id)).compose(AppRepository::judgeRotation);
  }

  private static Future<Void> judgeRotation(RowSet<Row> rows) {
    Row row = rows.iterator().next();
    if (row.getLong("recent") >= MAX_ROTATIONS_PER_HOUR) {
      long wait = Math.max(1, row.getLong("recent_wait"));
      return Future.failedFuture(ApiException.rateLimited(ErrorCode.RATE_LIMITED,
          "at most " + MAX_ROTATIONS_PER_HOUR + " signing keys made an hour per app (the app's first key among them); "
              + "retry in " + wait + " s", wait));
    }
    if (row.getLong("published") >= MAX_PUBLISHED_KEYS) {
      long wait = Math.max(1, row.getLong("published_wait"));
      return Future.failedFuture(ApiException.rateLimited(ErrorCode.RATE_LIMITED,
          "this app already publishes " + MAX_PUBLISHED_KEYS + " keys for its access tokens (besides any kept for "
              + "offline certificates); retry in " + wait + " s, when the oldest retired one stops being published",
          wait));
    }
    return Future.succeededFuture();
  }

  /**
   * Tokens the current key signed before a PATCH shortened access_token_ttl live up to the old TTL: the key,
   * once retired, must stay published that long, whatever the TTL at rotation time.
   */
  private static Future<Void> keepShortenedTtlPublished(SqlConnection conn, Change change) {
    int before = change.before().settings().accessTokenTtl();
    if (change.after().settings().accessTokenTtl() >= before) {
      return Future.succeededFuture();
    }
    return SigningKeyStore.raisePublishFloor(conn, change.after().id(), before + KEY_PUBLISH_MARGIN_SECONDS);
  }

  private static <T> T first(RowSet<Row> rows, Function<Row, T> mapper) {
    var iterator = rows.iterator();
    return iterator.hasNext() ? mapper.apply(iterator.next()) : null;
  }
}
