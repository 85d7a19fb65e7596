package dev.portcullis.token;

import dev.portcullis.app.App;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditOutbox;
import dev.portcullis.core.Postgres;
import dev.portcullis.user.UserRepository;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * SQL for sessions and refresh tokens, kept in one place. A session's refresh tokens all expire with the
 * session (an absolute expiry set at login). Spending a token and storing its successor is one statement,
 * so of concurrent refreshes of one token exactly one spends it.
 */
final class SessionStore {

  /** The entitlements of the license of the device a session is bound to (tokens carry them as ent, with did). */
  private static final String ENTITLEMENTS = "(SELECT p.entitlements FROM license_devices d "
      + "JOIN licenses l ON l.id = d.license_id JOIN license_policies p ON p.id = l.policy_id "
      + "WHERE d.id = s.device_id) AS entitlements";

  /**
   * When the license of the session's device expires (null: never, or no device), in seconds from now by Postgres's
   * clock: the session's access tokens end with it, and introspection refuses the session from then on, without
   * waiting for the housekeeping job that revokes it.
   */
  private static final String LICENSE_EXPIRES_IN = "(SELECT round(extract(epoch FROM l.expires_at - now()))::int "
      + "FROM license_devices d JOIN licenses l ON l.id = d.license_id WHERE d.id = s.device_id) AS license_expires_in";

  /**
   * Selected by the statements that write a session or spend a refresh token: their transaction commits without
   * waiting for its WAL to reach the disk. Each of them is followed by the answer's audit events, whose
   * commit is synchronous and comes later in the WAL, and the answer waits for it (TokenService#answer): flushing
   * the WAL up to that commit makes this one durable too, before any client is told of it. What a crash loses
   * in between was never answered, as if the request had not come. Spares a disk flush per login and refresh.
   */
  private static final String FLUSHED_WITH_ITS_AUDIT_EVENTS =
      "set_config('synchronous_commit', 'off', true) AS synchronous_commit, ";

  /** Whether the session was opened through OpenID Connect: its tokens carry the app's OIDC issuer. */
  private static final String OIDC_SESSION = "EXISTS (SELECT 1 FROM oidc_sessions o WHERE o.session_id = s.id) AS oidc";

  private static final String SESSION_COLUMNS =
      "s.id AS session_id, s.app_id, s.created_at AS session_created_at, s.expires_at AS session_expires_at, "
          + "round(extract(epoch FROM s.expires_at - now()))::int AS refresh_expires_in, "
          + "s.revoked_at IS NOT NULL AS revoked, "
          + "u.id AS user_id, u.email, u.phone, u.created_at AS user_created_at, s.tenant_id, s.device_id, "
          + SessionRoles.EFFECTIVE + " AS roles, " + ENTITLEMENTS + ", " + LICENSE_EXPIRES_IN;

  /**
   * The session's device is live and its license active, checked again as the session is written (the login
   * checked them before): the device's and license's rows are share-locked, so a deactivation, suspension or
   * revocation either commits first and is seen here, or waits and then finds this session to revoke. The license
   * is locked before the device, in the order an activation takes them, so the two cannot deadlock.
   */
  private static final String LIVE_DEVICE = "(SELECT 1 FROM licenses l JOIN license_devices d ON d.license_id = l.id "
      + "JOIN license_policies p ON p.id = l.policy_id "
      + "WHERE d.id = $8 AND d.deactivated_at IS NULL AND l.app_id = u.app_id AND l.status = 'active' "
      + "AND (p.heartbeat_interval IS NULL OR d.last_heartbeat_at >= now() - p.heartbeat_interval * interval '1 second' "
      + "OR p.heartbeat_since >= now() - p.heartbeat_interval * interval '1 second') "
      + "AND (l.expires_at IS NULL OR l.expires_at > now()) AND (l.user_id IS NULL OR l.user_id = u.id) "
      + "FOR SHARE OF l, d)";

  /**
   * The session {@code s} is on no device, or on one that still holds a seat of an active, unexpired license. Ending
   * a seat revokes its sessions in a step of its own (and on an older process during a rolling upgrade, in a second
   * transaction a crash could skip): a refresh checks the seat itself, so a session that step missed is not renewed.
   */
  private static final String SEAT_HELD = "(s.device_id IS NULL OR EXISTS (SELECT 1 FROM license_devices d "
      + "JOIN licenses l ON l.id = d.license_id WHERE d.id = s.device_id AND d.deactivated_at IS NULL "
      + "AND l.status = 'active' AND (l.expires_at IS NULL OR l.expires_at > now())))";

  /**
   * The user's row is locked as its session is written, in the mode the login's own update of it takes anyway: a
   * disable (or delete) committed after this statement's snapshot is seen (the row is read again, and a disabled
   * user gets no session), and one that comes later waits for this login's commit, so the revocation that follows
   * it finds this session. Taken after the device's locks, in the order a user's deletion takes them.
   */
  private static final String USER_LOCK = " FOR NO KEY UPDATE";

  /**
   * Creates a session for an enabled user of the app and its first refresh token, bound to tenant $6 when it is
   * not null (the user must be a member), and records the login time; no row when any of that does not hold. With a
   * password generation ($9), only while the user's password is still of it: a change committed before the row lock
   * is seen here (no session), and one that comes later waits for this commit, so its revocation finds the session.
   */
  private static final String CREATE =
      "WITH s AS (INSERT INTO sessions (id, app_id, user_id, expires_at, tenant_id, client_ip, last_used_at, device_id) "
          + "SELECT $1, u.app_id, u.id, now() + $4::int * interval '1 second', $6, $7, now(), $8::uuid FROM users u "
          + "WHERE u.id = $2 AND u.app_id = $3 AND NOT u.disabled AND ($6::uuid IS NULL OR EXISTS "
          + "(SELECT 1 FROM tenant_members m WHERE m.tenant_id = $6 AND m.user_id = u.id)) AND ($8::uuid IS NULL OR "
          + "EXISTS " + LIVE_DEVICE + ") AND ($9::bigint IS NULL OR u.password_generation = $9)" + USER_LOCK
          + " OF u RETURNING *), "
          + "t AS (INSERT INTO refresh_tokens (token_hash, session_id, expires_at) SELECT $5, id, expires_at FROM s), "
          + "login AS (UPDATE users SET last_login_at = now() WHERE id = (SELECT user_id FROM s)) "
          + "SELECT " + FLUSHED_WITH_ITS_AUDIT_EVENTS + SESSION_COLUMNS + " FROM s JOIN users u ON u.id = s.user_id";

  private static final String SIGN_IN_BY_EMAIL = signIn("email");
  private static final String SIGN_IN_BY_PHONE = signIn("phone");

  /**
   * Why {@link #CREATE} made no session: no such user, a disabled one, or not a member of the tenant (or, when
   * none of these, its device was deactivated or its license changed meanwhile).
   */
  private static final String WHY_NO_SESSION =
      "SELECT u.disabled, ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM tenant_members m "
          + "WHERE m.tenant_id = $3 AND m.user_id = u.id)) AS member, u.password_generation FROM users u "
          + "WHERE u.id = $1 AND u.app_id = $2";

  /**
   * Spends a live token of a live session of the app and stores its successor; no row when it cannot. The
   * session is read by primary key in a scalar subquery, not joined: joined, a planner with stale statistics
   * walks every live session of the app through {@code sessions_user} for each refresh. With a tenant ($4),
   * the session's user must be a member of it, and the session is bound to it from now on; without, it keeps
   * its tenant. The session's row is answered as this statement left it, and whether it switched tenant: the
   * main query reads {@code sessions} in the statement's snapshot, before its update. A revocation committed while
   * the statement waited for the session's row lock is seen there (the row is read again after the wait): the
   * statement then answers no row, and the refresh is judged as one of a revoked session. So is a refresh of a
   * disabled user's session (its user read by primary key), should a revocation have missed it. The session's row
   * is locked by the check that lets the token be spent, before the spend: a revocation committed while it waited
   * leaves the token unspent (h81: spent, then judged a reuse of a revoked session when the grace was 0).
   */
  private static final String ROTATE =
      "WITH spent AS (UPDATE refresh_tokens rt SET spent_at = now(), successor_hash = $2 "
          + "WHERE rt.token_hash = $1 AND rt.spent_at IS NULL AND rt.expires_at > now() "
          + "AND (SELECT s.app_id FROM sessions s JOIN users u ON u.id = s.user_id "
          + "WHERE s.id = rt.session_id AND s.revoked_at IS NULL AND NOT u.disabled "
          + "AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM tenant_members m WHERE m.tenant_id = $4 "
          + "AND m.user_id = s.user_id)) AND " + SEAT_HELD + " FOR NO KEY UPDATE OF s) = $3 "
          + "RETURNING rt.session_id, rt.expires_at), "
          + "successor AS (INSERT INTO refresh_tokens (token_hash, session_id, expires_at) "
          + "SELECT $2, session_id, expires_at FROM spent), "
          + "s AS (UPDATE sessions SET last_used_at = now(), tenant_id = coalesce($4, tenant_id) "
          + "WHERE id = (SELECT session_id FROM spent) AND revoked_at IS NULL RETURNING *) "
          + "SELECT " + FLUSHED_WITH_ITS_AUDIT_EVENTS + SESSION_COLUMNS + ", CASE WHEN $4::uuid IS NULL THEN false "
          + "ELSE (SELECT before.tenant_id FROM sessions before WHERE before.id = s.id) IS DISTINCT FROM $4 END "
          + "AS tenant_switched, " + OIDC_SESSION + " FROM s JOIN users u ON u.id = s.user_id";

  /**
   * {@link #CREATE} for the user of an identity, found or made in the same statement ({@link
   * UserRepository#identityUser}, $1–$3): session $4 with ttl $5, refresh token $6, tenant $7, client IP $8. The
   * user's row is answered whether or not a session could be made (a disabled user, or not a member of the
   * tenant); a user made here is never disabled nor a member of any tenant, so it has logged in exactly when
   * there is no tenant. A found user's identity is marked verified, as the sign-in proved it.
   */
  private static String signIn(String column) {
    String verified = column + "_verified";
    // A new identity is a member of no tenant: a sign-in naming one makes no user it could only refuse.
    return "WITH " + UserRepository.identityUser(column, "CASE WHEN $7::uuid IS NULL THEN now() END", "$7::uuid IS NULL",
        USER_LOCK)
        + ", "
        + "s AS (INSERT INTO sessions (id, app_id, user_id, expires_at, tenant_id, client_ip, last_used_at) "
        + "SELECT $4, u.app_id, u.id, now() + $5::int * interval '1 second', $7, $8, now() FROM u "
        + "WHERE NOT u.disabled AND ($7::uuid IS NULL OR EXISTS "
        + "(SELECT 1 FROM tenant_members m WHERE m.tenant_id = $7 AND m.user_id = u.id)) RETURNING *), "
        + "t AS (INSERT INTO refresh_tokens (token_hash, session_id, expires_at) SELECT $6, id, expires_at FROM s), "
        + "login AS (UPDATE users SET " + verified + " = true, "
        + "last_login_at = CASE WHEN EXISTS (SELECT 1 FROM s) THEN now() ELSE last_login_at END "
        + "WHERE id = (SELECT id FROM found) AND (EXISTS (SELECT 1 FROM s) OR NOT " + verified + ")) "
        + "SELECT " + FLUSHED_WITH_ITS_AUDIT_EVENTS + "u.created, u.disabled, " + SESSION_COLUMNS
        + " FROM u LEFT JOIN s ON s.user_id = u.id";
  }

  /** Everything needed to judge a token that could not be spent. */
  private static final String INSPECT =
      "SELECT " + SESSION_COLUMNS + ", " + OIDC_SESSION + ", rt.expires_at > now() AS live, "
          + "rt.spent_at IS NOT NULL AS spent, "
          + "coalesce(rt.spent_at > now() - $2::int * interval '1 second', false) AS in_grace, "
          + "rt.successor_hash, (succ.token_hash IS NOT NULL AND succ.spent_at IS NULL) AS successor_live, "
          + SEAT_HELD + " AS seat_held, u.disabled AS user_disabled "
          + "FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id JOIN users u ON u.id = s.user_id "
          + "LEFT JOIN refresh_tokens succ ON succ.token_hash = rt.successor_hash WHERE rt.token_hash = $1";

  private static final String VIEW =
      "SELECT " + SESSION_COLUMNS + " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1";

  private static final String REVOKE =
      "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id, user_id";

  private static final String REVOKE_IN_APP =
      "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND app_id = $2 AND revoked_at IS NULL RETURNING id, user_id";

  private static final String REVOKE_TENANT =
      "UPDATE sessions SET revoked_at = now() WHERE tenant_id = $1 AND app_id = $2 AND revoked_at IS NULL "
          + "AND ($3::uuid IS NULL OR user_id = $3) RETURNING id, user_id";

  private static final String REVOKE_USER =
      "UPDATE sessions SET revoked_at = now() "
          + "WHERE app_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now() "
          + "AND ($3::uuid IS NULL OR id <> $3) RETURNING id, user_id";

  /**
   * At most $3 live sessions of a user in an app: what a disable revokes in its own transaction, the rest in batches
   * after it ({@link #revokeOfDisabled}). The ids are picked first, then updated by primary key: written as
   * {@code id IN (SELECT ...)}, the planner hashed the picked ids and scanned the whole table for them, each batch.
   * The outer condition skips a row revoked meanwhile.
   */
  private static final String REVOKE_USER_UP_TO =
      "UPDATE sessions SET revoked_at = now() WHERE id = ANY (ARRAY(SELECT id FROM sessions "
          + "WHERE app_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now() LIMIT $3)) "
          + "AND revoked_at IS NULL RETURNING id, user_id";

  /** Whether the user is disabled, its row share-locked: an enable waits for the batch that read it. */
  private static final String USER_DISABLED = "SELECT disabled FROM users WHERE id = $2 AND app_id = $1 FOR SHARE";

  /** A user's session rows, counted up to $3 (served by sessions_by_user). */
  private static final String COUNT_USER_SESSIONS =
      "SELECT count(*) AS n FROM (SELECT 1 FROM sessions WHERE user_id = $2 AND app_id = $1 LIMIT $3) s";

  /**
   * At most $3 session rows of a user, deleted (their refresh tokens with them), each answered with whether it was
   * live: the batches that clear a user with many sessions before its deletion (by primary key, as above).
   */
  private static final String DELETE_USER_SESSIONS =
      "DELETE FROM sessions WHERE id = ANY (ARRAY(SELECT id FROM sessions WHERE user_id = $2 AND app_id = $1 "
          + "LIMIT $3)) RETURNING id, user_id, revoked_at IS NULL AND expires_at > now() AS live";

  private static final String REVOKE_DEVICES =
      "UPDATE sessions SET revoked_at = now() "
          + "WHERE app_id = $1 AND device_id = ANY($2) AND revoked_at IS NULL RETURNING id, user_id";

  /** The live sessions bound to these devices, of whichever app, revoked in the caller's transaction. */
  private static final String REVOKE_ON_DEVICES =
      "UPDATE sessions SET revoked_at = now() "
          + "WHERE device_id = ANY($1) AND revoked_at IS NULL RETURNING id, app_id, user_id, device_id";

  /** A session and its user, as answered to clients. */
  /** {@code licenseEndsAt}: when the license of the session's device expires, by this process's clock; or null. */
  record SessionRow(UUID id, UUID appId, OffsetDateTime createdAt, OffsetDateTime expiresAt, int refreshExpiresIn,
                    boolean revoked, UUID userId, JsonObject user, UUID tenantId, UUID deviceId, List<String> roles,
                    JsonArray entitlements, Integer licenseExpiresIn, Instant licenseEndsAt) {

    static SessionRow of(Row row) {
      Integer licenseExpiresIn = row.getInteger("license_expires_in");
      JsonObject user = new JsonObject()
          .put("id", row.getUUID("user_id").toString())
          .put("email", row.getString("email"))
          .put("phone", row.getString("phone"))
          .put("created_at", App.rfc3339(row.getOffsetDateTime("user_created_at")));
      return new SessionRow(row.getUUID("session_id"), row.getUUID("app_id"),
          row.getOffsetDateTime("session_created_at"), row.getOffsetDateTime("session_expires_at"),
          Math.max(0, row.getInteger("refresh_expires_in")), row.getBoolean("revoked"), row.getUUID("user_id"), user,
          row.getUUID("tenant_id"), row.getUUID("device_id"), List.of(row.getArrayOfStrings("roles")),
          row.getValue("entitlements") instanceof JsonArray ent ? ent : new JsonArray(),
          licenseExpiresIn, licenseExpiresIn == null ? null : Instant.now().plusSeconds(licenseExpiresIn));
    }

    /**
     * How long an access token of this session lives: the app's {@code access_token_ttl}, but never past the
     * session's end nor its device's license's expiry (by Postgres's clock), since a resource server that checks
     * tokens offline would take one, and its {@code ent}, for that long after either ended. At least a second.
     */
    int accessTokenTtl(int appTtl) {
      int ttl = Math.min(appTtl, refreshExpiresIn);
      return Math.max(1, licenseExpiresIn == null ? ttl : Math.min(ttl, licenseExpiresIn));
    }

    /**
     * How long the session's refresh token is good for, as answered: never past its device's license's expiry, when
     * the session ends too (h103: a 20-second license's session answered 30 days).
     */
    int refreshTokenTtl() {
      return licenseExpiresIn == null ? refreshExpiresIn : Math.max(0, Math.min(refreshExpiresIn, licenseExpiresIn));
    }

    /** Whether the license of the session's device has expired (its sessions end with it). */
    boolean licenseExpired() {
      return licenseEndsAt != null && !licenseEndsAt.isAfter(Instant.now());
    }

    /** The claims a session bound to a device adds to its access tokens: did and ent; none otherwise. */
    JsonObject deviceClaims() {
      return deviceId == null
          ? new JsonObject()
          : new JsonObject().put("did", deviceId.toString()).put("ent", entitlements.copy());
    }

    JsonObject sessionJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("created_at", App.rfc3339(createdAt))
          .put("expires_at", App.rfc3339(expiresAt))
          .put("tenant_id", tenantId == null ? null : tenantId.toString())
          .put("device_id", deviceId == null ? null : deviceId.toString());
    }
  }

  /** A refresh token that could not be spent, and why. */
  record Presented(SessionRow session, boolean live, boolean spent, boolean inGrace, byte[] successorHash,
                   boolean successorLive, boolean oidc, boolean seatHeld, boolean userDisabled) {

    /** Its session is revoked, or its user disabled: either way the token speaks for no one any more. */
    boolean ended() {
      return session.revoked() || userDisabled;
    }
  }

  private final Postgres pg;

  SessionStore(Postgres pg) {
    this.pg = pg;
  }

  Future<SessionRow> create(UUID sessionId, UUID userId, UUID appId, int ttlSeconds, byte[] tokenHash, UUID tenantId,
                            String clientIp, UUID deviceId, Long passwordGeneration) {
    Tuple args = Tuple.of(sessionId, userId, appId, ttlSeconds, Buffer.buffer(tokenHash), tenantId, clientIp)
        .addUUID(deviceId).addLong(passwordGeneration);
    return pg.run(pool -> pool.preparedQuery(CREATE).execute(args)).map(SessionStore::session);
  }

  /**
   * What a sign-in made: the identity's user ({@code created} when made by it) and its new session, which is null
   * when the user is disabled or not a member of the tenant.
   */
  record SignedIn(UUID userId, boolean created, boolean disabled, SessionRow session) {
  }

  /**
   * The user of this email or phone (exactly one is non-null), made when missing (with id {@code newUserId}), and a
   * new session of it, in one statement; null when a concurrent first sign-in of the identity was making its user
   * (nothing written: try again).
   */
  Future<SignedIn> signIn(String email, String phone, UUID appId, UUID newUserId, UUID sessionId, int ttlSeconds,
                          byte[] tokenHash, UUID tenantId, String clientIp) {
    String sql = email != null ? SIGN_IN_BY_EMAIL : SIGN_IN_BY_PHONE;
    Tuple args = Tuple.of(newUserId, appId, email != null ? email : phone, sessionId, ttlSeconds,
        Buffer.buffer(tokenHash), tenantId).addString(clientIp);
    return pg.run(pool -> pool.preparedQuery(sql).execute(args)).map(rows -> {
      Row row = first(rows);
      if (row == null) {
        return null;
      }
      SessionRow session = row.getUUID("session_id") == null ? null : SessionRow.of(row);
      return new SignedIn(row.getUUID("user_id"), row.getBoolean("created"), row.getBoolean("disabled"), session);
    });
  }

  /** Why no session was created: null when the app has no such user, else what the user is now. */
  Future<UserNow> whyNoSession(UUID userId, UUID appId, UUID tenantId) {
    return pg.run(pool -> pool.preparedQuery(WHY_NO_SESSION).execute(Tuple.of(userId, appId, tenantId)))
        .map(rows -> {
          Row row = first(rows);
          return row == null ? null : new UserNow(row.getBoolean("disabled"), row.getBoolean("member"),
              row.getLong("password_generation"));
        });
  }

  /** What may have kept a user from a session: disabled, not a member of the tenant, another password. */
  record UserNow(boolean disabled, boolean member, long passwordGeneration) {
  }

  /**
   * A refresh token spent and its successor stored: the session as it is now, whether it changed tenant, and
   * whether it is an OpenID Connect session.
   */
  record Rotation(SessionRow session, boolean tenantSwitched, boolean oidc) {
  }

  /** Null when the token could not be spent (see {@link #ROTATE}). */
  Future<Rotation> rotate(byte[] presentedHash, byte[] successorHash, UUID appId, UUID tenantId) {
    Tuple args = Tuple.of(Buffer.buffer(presentedHash), Buffer.buffer(successorHash), appId, tenantId);
    return pg.run(pool -> pool.preparedQuery(ROTATE).execute(args)).map(rows -> {
      Row row = first(rows);
      return row == null ? null
          : new Rotation(SessionRow.of(row), row.getBoolean("tenant_switched"), row.getBoolean("oidc"));
    });
  }

  /** The token and its session, or null when no such token was ever issued. */
  Future<Presented> inspect(byte[] tokenHash, int graceSeconds) {
    return pg.run(pool -> pool.preparedQuery(INSPECT).execute(Tuple.of(Buffer.buffer(tokenHash), graceSeconds)))
        .map(rows -> {
          Row row = first(rows);
          if (row == null) {
            return null;
          }
          Buffer successor = row.getBuffer("successor_hash");
          return new Presented(SessionRow.of(row), row.getBoolean("live"), row.getBoolean("spent"),
              row.getBoolean("in_grace"), successor == null ? null : successor.getBytes(),
              row.getBoolean("successor_live"), row.getBoolean("oidc"), row.getBoolean("seat_held"),
              row.getBoolean("user_disabled"));
        });
  }

  /** The session and its user, or null when there is no such session. */
  Future<SessionRow> view(UUID sessionId) {
    return pg.run(pool -> pool.preparedQuery(VIEW).execute(Tuple.of(sessionId))).map(SessionStore::session);
  }

  /**
   * Sessions revoked by one statement (session id → its user), committed in one transaction with the audit events
   * staged for them ({@link AuditOutbox}): a failure leaves neither the revocations nor their events.
   */
  record Revocation(Map<UUID, UUID> owners, List<AuditOutbox.Staged> staged) {

    List<UUID> sessionIds() {
      return List.copyOf(owners.keySet());
    }
  }

  /** The events a revocation stages, given what it revoked (session id → user; may be empty). */
  interface Events extends Function<Map<UUID, UUID>, List<AuditOutbox.Staged>> {
  }

  /** Revokes the session when it is live. */
  Future<Revocation> revoke(UUID sessionId, Events events) {
    return revokeWith(REVOKE, Tuple.of(sessionId), events);
  }

  /** Revokes every live session of a user in an app but {@code except} (null: none spared). */
  Future<Revocation> revokeAll(UUID appId, UUID userId, UUID except, Events events) {
    return revokeWith(REVOKE_USER, Tuple.of(appId, userId, except), events);
  }

  /** The same in the caller's transaction. */
  static Future<Revocation> revokeAll(SqlConnection conn, UUID appId, UUID userId, Events events) {
    return revokeWith(conn, REVOKE_USER, Tuple.of(appId, userId, null), events);
  }

  /** At most {@code limit} live sessions of a user in an app revoked, in the caller's transaction. */
  static Future<Revocation> revokeSome(SqlConnection conn, UUID appId, UUID userId, int limit, Events events) {
    return revokeWith(conn, REVOKE_USER_UP_TO, Tuple.of(appId, userId, limit), events);
  }

  /**
   * In a transaction of its own: at most {@code limit} live sessions of the user revoked, only while the user is
   * disabled (none otherwise). Any live session of a disabled user is one its disable left to revoke: a login
   * makes none for a disabled user. The user's row is share-locked, so an enable waits for the batch.
   */
  Future<Revocation> revokeOfDisabled(UUID appId, UUID userId, int limit, Events events) {
    Tuple user = Tuple.of(appId, userId);
    return pg.inTransaction(conn -> conn.preparedQuery(USER_DISABLED).execute(user).compose(rows -> {
      Row row = first(rows);
      return row == null || !row.getBoolean("disabled")
          ? Future.succeededFuture(new Revocation(Map.of(), List.of()))
          : revokeWith(conn, REVOKE_USER_UP_TO, Tuple.of(appId, userId, limit), events);
    }));
  }

  /** How many session rows (live or not) the user has, counted up to {@code limit}. */
  Future<Integer> countUpTo(UUID appId, UUID userId, int limit) {
    return pg.run(pool -> pool.preparedQuery(COUNT_USER_SESSIONS).execute(Tuple.of(appId, userId, limit)))
        .map(rows -> first(rows).getLong("n").intValue());
  }

  /** Session rows deleted by one batch: how many, and the live ones among them, ended with their events. */
  record Cleared(int rows, Revocation live) {
  }

  /**
   * In a transaction of its own: at most {@code limit} session rows of the user deleted, their refresh tokens with
   * them; the events of the live ones among them staged in it.
   */
  Future<Cleared> deleteSome(UUID appId, UUID userId, int limit, Events events) {
    return pg.inTransaction(conn -> conn.preparedQuery(DELETE_USER_SESSIONS)
        .execute(Tuple.of(appId, userId, limit))
        .compose(rows -> {
          Map<UUID, UUID> live = new LinkedHashMap<>();
          rows.forEach(row -> {
            if (row.getBoolean("live")) {
              live.put(row.getUUID("id"), row.getUUID("user_id"));
            }
          });
          List<AuditOutbox.Staged> staged = events.apply(live);
          return AuditOutbox.stageAll(conn, staged).map(done -> new Cleared(rows.size(), new Revocation(live, staged)));
        }));
  }

  /** Revokes the session when it is a live one of the app. */
  Future<Revocation> revokeInApp(UUID appId, UUID sessionId, Events events) {
    return revokeWith(REVOKE_IN_APP, Tuple.of(sessionId, appId), events);
  }

  /** Revokes the live sessions bound to a tenant (of one user when userId is not null). */
  Future<Revocation> revokeTenant(UUID appId, UUID tenantId, UUID userId, Events events) {
    return pg.inTransaction(conn -> revokeTenant(conn, appId, tenantId, userId, events));
  }

  /** The same in the caller's transaction. */
  static Future<Revocation> revokeTenant(SqlConnection conn, UUID appId, UUID tenantId, UUID userId, Events events) {
    return revokeWith(conn, REVOKE_TENANT, Tuple.of(tenantId, appId, userId), events);
  }

  /** Revokes every live session of the app bound to one of these devices. */
  Future<Revocation> revokeBoundTo(UUID appId, List<UUID> deviceIds, Events events) {
    return pg.inTransaction(conn -> revokeBoundTo(conn, appId, deviceIds, events));
  }

  /** The same in the caller's transaction. */
  static Future<Revocation> revokeBoundTo(SqlConnection conn, UUID appId, List<UUID> deviceIds, Events events) {
    return revokeWith(conn, REVOKE_DEVICES,
        Tuple.tuple().addUUID(appId).addArrayOfUUID(deviceIds.toArray(new UUID[0])), events);
  }

  /** On the caller's connection, inside its transaction: revokes the live sessions bound to these devices. */
  static Future<List<DeviceSessions.Revoked>> revokeBoundTo(SqlConnection conn, List<UUID> deviceIds) {
    if (deviceIds.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return conn.preparedQuery(REVOKE_ON_DEVICES)
        .execute(Tuple.tuple().addArrayOfUUID(deviceIds.toArray(new UUID[0])))
        .map(rows -> {
          List<DeviceSessions.Revoked> revoked = new ArrayList<>(rows.size());
          rows.forEach(row -> revoked.add(new DeviceSessions.Revoked(row.getUUID("id"), row.getUUID("app_id"),
              row.getUUID("user_id"), row.getUUID("device_id"))));
          return revoked;
        });
  }

  /**
   * After the commit: records the staged events in the hash chain and deletes their outbox rows; never fails (a
   * row left behind is moved into the chain by the audit verticle, see {@link AuditOutbox#record}).
   */
  Future<Void> recordStaged(AuditLog audit, List<AuditOutbox.Staged> staged) {
    return AuditOutbox.record(pg, audit, staged);
  }

  private Future<Revocation> revokeWith(String sql, Tuple args, Events events) {
    return pg.inTransaction(conn -> revokeWith(conn, sql, args, events));
  }

  private static Future<Revocation> revokeWith(SqlConnection conn, String sql, Tuple args, Events events) {
    return conn.preparedQuery(sql).execute(args).compose(rows -> {
      Map<UUID, UUID> owners = owners(rows);
      List<AuditOutbox.Staged> staged = events.apply(owners);
      return AuditOutbox.stageAll(conn, staged).map(done -> new Revocation(owners, staged));
    });
  }

  private static Map<UUID, UUID> owners(RowSet<Row> rows) {
    Map<UUID, UUID> owners = new LinkedHashMap<>();
    rows.forEach(row -> owners.put(row.getUUID("id"), row.getUUID("user_id")));
    return owners;
  }

  private static SessionRow session(RowSet<Row> rows) {
    Row row = first(rows);
    return row == null ? null : SessionRow.of(row);
  }

  private static Row first(RowSet<Row> rows) {
    var iterator = rows.iterator();
    return iterator.hasNext() ? iterator.next() : null;
  }
}
