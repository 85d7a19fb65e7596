package dev.portcullis.user;

import dev.portcullis.app.AppCursor;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Postgres;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;

/** SQL for users, kept in one place. */
public final class UserRepository {

  /** A login's user, made now ({@code created}) or found; {@code disabled} as it was read. */
  public record Found(User user, boolean created, boolean disabled) {
  }

  /** A deleted user, and the licences it held: issued to no user from then on (their ids, ordered). */
  public record Deleted(UUID userId, List<UUID> detachedLicenses) {
  }

  /** A PATCH: whether the user was disabled before, the user after, and the role change (null without roles). */
  public record Updated(boolean wasDisabled, User user, RoleRepository.Change roles) {
  }

  private static final String FIND_OR_INSERT_BY_EMAIL = findOrInsert("email");
  private static final String FIND_OR_INSERT_BY_PHONE = findOrInsert("phone");
  private static final String BY_EMAIL = "SELECT " + User.COLUMNS + ", disabled, false AS created FROM users "
      + "WHERE app_id = $1 AND email = $2";
  private static final String BY_PHONE = "SELECT " + User.COLUMNS + ", disabled, false AS created FROM users "
      + "WHERE app_id = $1 AND phone = $2";

  /** The admin list: newest first, keyset-paged on (created_at, id); served by users_app_page. */
  private static final String PAGE_HEAD = "SELECT " + User.FULL_COLUMNS + " FROM users u "
      + "WHERE u.app_id = $1 AND (u.created_at, u.id) < ($2, $3)";
  private static final String PAGE_TAIL = " ORDER BY u.created_at DESC, u.id DESC LIMIT $4";
  static final String LIST = PAGE_HEAD + PAGE_TAIL;
  static final String SEARCH_ID = PAGE_HEAD + " AND u.id = $5" + PAGE_TAIL;
  /** Email prefix: a range of users_app_email_prefix ($5 prefix, $6 its upper bound), checked exactly by LIKE $7. */
  static final String SEARCH_EMAIL = PAGE_HEAD + " AND u.email ~>=~ $5 AND u.email ~<~ $6 AND u.email LIKE $7"
      + PAGE_TAIL;
  /** Phone prefix ($8–$10, users_app_phone_prefix) or email prefix ($5–$7, users_app_email_prefix). */
  static final String SEARCH_PHONE_OR_EMAIL = PAGE_HEAD
      + " AND ((u.email ~>=~ $5 AND u.email ~<~ $6 AND u.email LIKE $7) "
      + "OR (u.phone ~>=~ $8 AND u.phone ~<~ $9 AND u.phone LIKE $10))" + PAGE_TAIL;

  private static final String GET = "SELECT " + User.FULL_COLUMNS + " FROM users u WHERE u.id = $1 AND u.app_id = $2";
  private static final String INSERT_BY_EMAIL = insert("email");
  private static final String INSERT_BY_PHONE = insert("phone");
  private static final String REPLACE_ROLES = "WITH " + RoleRepository.WANTED + ", "
      + "del AS (DELETE FROM user_roles WHERE user_id = $2 AND (SELECT ok FROM ok) "
      + "AND role_id NOT IN (SELECT id FROM wanted)), "
      + "ins AS (INSERT INTO user_roles (user_id, app_id, role_id) SELECT $2, $1, id FROM wanted "
      + "WHERE (SELECT ok FROM ok) ON CONFLICT DO NOTHING) "
      + "SELECT (SELECT ok FROM ok) AS ok, ARRAY(SELECT name FROM wanted ORDER BY id) AS roles";
  private static final String UPDATE = "UPDATE users u SET "
      + "profile = CASE WHEN $3::jsonb IS NULL THEN u.profile ELSE jsonb_strip_nulls(u.profile || $3::jsonb) END, "
      + "disabled = coalesce($4::boolean, u.disabled) "
      + "FROM (SELECT id, disabled FROM users WHERE id = $2 AND app_id = $1 FOR UPDATE) old "
      + "WHERE u.id = old.id RETURNING old.disabled AS was_disabled";
  private static final String DELETE = "DELETE FROM users WHERE id = $1 AND app_id = $2";
  /**
   * The user's row locked before its sessions are revoked: a login storing a session meanwhile (its reference
   * share-locks the row) commits first and is revoked with the others, or waits and finds no user. Without it a
   * session committed between the revocation and the delete went with the row, and no session.revoked told of it
   * (h95). Taken after the licences, in the order a device-bound login takes them.
   */
  private static final String LOCK = "SELECT 1 FROM users WHERE id = $1 AND app_id = $2 FOR UPDATE";
  /**
   * The user's licences, issued to no user before the user row goes: a device-bound login locks the licence, then
   * the user; the delete's own ON DELETE SET NULL would lock them the other way round, a deadlock. Their ids are
   * answered for the deletion's audit events, which commit with it.
   */
  private static final String RELEASE_LICENSES =
      "UPDATE licenses SET user_id = NULL WHERE user_id = $1 AND app_id = $2 RETURNING id";
  /** A user's live sessions, newest first, keyset-paged on (created_at, id); served by sessions_user_page. */
  private static final String SESSIONS = "SELECT " + LiveSession.COLUMNS + " FROM sessions "
      + "WHERE user_id = $1 AND app_id = $2 AND revoked_at IS NULL AND expires_at > now() "
      + "AND (created_at, id) < ($3, $4) ORDER BY created_at DESC, id DESC LIMIT $5";

  private final Postgres pg;

  public UserRepository(Postgres pg) {
    this.pg = pg;
  }

  /**
   * The user of this email or phone (exactly one of them is non-null) in this app, created when there is
   * none: one statement, whether the user is found or made. The login proves the channel, so it is marked
   * verified (written only when it was not yet). Concurrent first logins make one user: the losing insert
   * waits for the winner's commit and does nothing, and the loser then reads the winner's row. In a transaction, so
   * a statement that outlives the deadline (answered 503) is rolled back: committed after the answer, it made a
   * user whose {@code user.created} nobody recorded.
   */
  public Future<Found> findOrCreate(UUID appId, String email, String phone) {
    return pg.inTransaction(conn -> findOrCreate(conn, appId, email, phone));
  }

  /**
   * As {@link #findOrCreate(UUID, String, String)}, with {@code then} run on the user in the same transaction: a
   * signup's user is made with its password or not at all (made in a statement of its own, a deadline that fell
   * between the two left a user without the password it signed up with, its pending signup spent).
   */
  public <T> Future<T> findOrCreate(UUID appId, String email, String phone,
                                    BiFunction<SqlConnection, Found, Future<T>> then) {
    return pg.inTransaction(conn -> findOrCreate(conn, appId, email, phone).compose(found -> then.apply(conn, found)));
  }

  private static Future<Found> findOrCreate(SqlClient client, UUID appId, String email, String phone) {
    String sql = email != null ? FIND_OR_INSERT_BY_EMAIL : FIND_OR_INSERT_BY_PHONE;
    Tuple params = Tuple.of(UUID.randomUUID(), appId, email != null ? email : phone);
    return client.preparedQuery(sql).execute(params)
        .compose(rows -> rows.rowCount() > 0
            ? Future.succeededFuture(found(rows.iterator().next()))
            : find(client, appId, email, phone));
  }

  /** The id of the identity's user in the app, or null when it has none. */
  public Future<UUID> idOf(UUID appId, String email, String phone) {
    String sql = email != null ? BY_EMAIL : BY_PHONE;
    return pg.run(pool -> pool.preparedQuery(sql).execute(Tuple.of(appId, email != null ? email : phone)))
        .map(rows -> rows.rowCount() > 0 ? rows.iterator().next().getUUID("id") : null);
  }

  /** A page of the app's users, newest first, matching {@code q} (an id, an email or a phone prefix) when given. */
  public Future<Page<User>> page(UUID appId, String q, String cursor, int limit) {
    UserSearch search = UserSearch.parse(q);
    AppCursor after = AppCursor.parse(cursor);
    Tuple params = Tuple.of(appId, after.createdAt(), after.id(), limit + 1);
    String sql = switch (search.kind()) {
      case ALL -> LIST;
      case ID -> {
        params.addUUID(search.id());
        yield SEARCH_ID;
      }
      case EMAIL -> {
        addPrefix(params, search.emailPrefix());
        yield SEARCH_EMAIL;
      }
      case PHONE_OR_EMAIL -> {
        addPrefix(params, search.emailPrefix());
        addPrefix(params, search.phonePrefix());
        yield SEARCH_PHONE_OR_EMAIL;
      }
    };
    return pg.run(pool -> pool.preparedQuery(sql).execute(params))
        .map(rows -> Page.of(rows, limit, User::fromRow, user -> new AppCursor(user.createdAt(), user.id()).encode()));
  }

  /** The user, or null when the app has no user with that id. */
  public Future<User> get(UUID appId, UUID userId) {
    return pg.run(pool -> pool.preparedQuery(GET).execute(Tuple.of(userId, appId))).map(UserRepository::firstUser);
  }

  /**
   * Creates an unverified user. {@code roles} null gives the app's default_roles; {@code passwordHash} is an
   * Argon2id PHC string made by the password capability, or null for a user who signs in with codes.
   * {@code 409 conflict} when the identity exists, {@code 400} for an unknown role (then nothing is created).
   * {@code audit} runs on the new user in the same transaction.
   */
  public Future<User> create(UUID appId, Identity identity, JsonObject profile, Roles.Refs roles, String passwordHash,
                             AuditStaging.Step<User> audit) {
    UUID id = UUID.randomUUID();
    String sql = identity.kind() == Identity.Kind.EMAIL ? INSERT_BY_EMAIL : INSERT_BY_PHONE;
    Tuple values = Tuple.of(id, appId, identity.value(), profile, passwordHash);
    return pg.inTransaction(conn -> conn.preparedQuery(sql).execute(values)
            .compose(inserted -> roles == null ? Future.succeededFuture() : replaceRoles(conn, appId, id, roles))
            .compose(ignored -> conn.preparedQuery(GET).execute(Tuple.of(id, appId)))
            .compose(rows -> audit.after(conn, firstUser(rows))))
        .recover(failure -> Postgres.isUniqueViolation(failure)
            ? Future.failedFuture(new ApiException(ErrorCode.CONFLICT,
                identity.kind().field() + ": a user with this " + identity.kind().field() + " exists"))
            : Future.failedFuture(failure));
  }

  /**
   * Changes profile fields (merged; a null value removes the field), {@code disabled} and the app-wide roles,
   * each only when given, in one transaction, with {@code audit} run on what changed. Null when the app has no such
   * user.
   */
  public Future<Updated> update(UUID appId, UUID userId, JsonObject profileChanges, Boolean disabled, Roles.Refs roles,
                                AuditStaging.Step<Updated> audit) {
    Tuple change = Tuple.of(appId, userId, profileChanges, disabled);
    return pg.inTransaction(conn -> conn.preparedQuery(UPDATE).execute(change).compose(updated -> {
      if (updated.size() == 0) {
        return Future.succeededFuture(null);
      }
      boolean wasDisabled = updated.iterator().next().getBoolean("was_disabled");
      Future<User> before = roles == null ? Future.succeededFuture() : conn.preparedQuery(GET)
          .execute(Tuple.of(userId, appId)).map(UserRepository::firstUser);
      return before.compose(old -> (roles == null ? Future.<Void>succeededFuture() : replaceRoles(conn, appId, userId, roles))
          .compose(ignored -> conn.preparedQuery(GET).execute(Tuple.of(userId, appId)))
          .map(UserRepository::firstUser)
          .map(after -> new Updated(wasDisabled, after, old == null ? null : RoleRepository.Change.between(old.roles(), after.roles())))
          .compose(changed -> audit.after(conn, changed)));
    }));
  }

  /**
   * Deletes the user and with it their personal data, roles, memberships and sessions, their licences released to
   * no user, with {@code audit} run on the user's id and those licences in the same transaction; false when there is
   * none. {@code endSessions} runs in that transaction before the row goes (the sessions go with it).
   */
  public Future<Boolean> delete(UUID appId, UUID userId, Function<SqlConnection, Future<Void>> endSessions,
                                AuditStaging.Step<Deleted> audit) {
    Tuple user = Tuple.of(userId, appId);
    return pg.inTransaction(conn -> conn.preparedQuery(RELEASE_LICENSES).execute(user)
        .compose(released -> conn.preparedQuery(LOCK).execute(user).map(released))
        .compose(released -> endSessions.apply(conn).map(released))
        .compose(released -> conn.preparedQuery(DELETE).execute(user)
            .compose(rows -> audit.after(conn, rows.rowCount() > 0 ? new Deleted(userId, ids(released)) : null)))
        .map(deleted -> deleted != null));
  }

  private static List<UUID> ids(RowSet<Row> rows) {
    List<UUID> ids = new ArrayList<>();
    rows.forEach(row -> ids.add(row.getUUID("id")));
    ids.sort(Comparator.comparing(UUID::toString));
    return List.copyOf(ids);
  }

  /** A page of the user's live sessions (the caller has checked that the user is the app's). */
  public Future<Page<LiveSession>> sessions(UUID appId, UUID userId, String cursor, int limit) {
    AppCursor after = AppCursor.parse(cursor);
    Tuple params = Tuple.of(userId, appId, after.createdAt(), after.id(), limit + 1);
    return pg.run(pool -> pool.preparedQuery(SESSIONS).execute(params))
        .map(rows -> Page.of(rows, limit, LiveSession::fromRow,
            session -> new AppCursor(session.createdAt(), session.id()).encode()));
  }

  private static Future<Void> replaceRoles(SqlConnection conn, UUID appId, UUID userId, Roles.Refs roles) {
    return conn.preparedQuery(REPLACE_ROLES).execute(RoleRepository.withRefs(Tuple.of(appId, userId), roles))
        .compose(rows -> {
          Row row = rows.iterator().next();
          return row.getBoolean("ok")
              ? Future.succeededFuture()
              : Future.failedFuture(RoleRepository.unknownRole("roles", roles, List.of(row.getArrayOfStrings("roles"))));
        });
  }

  private static void addPrefix(Tuple params, String prefix) {
    params.addString(prefix).addString(UserSearch.upperBound(prefix)).addString(UserSearch.like(prefix));
  }

  private static Future<Found> find(SqlClient client, UUID appId, String email, String phone) {
    String sql = email != null ? BY_EMAIL : BY_PHONE;
    return client.preparedQuery(sql).execute(Tuple.of(appId, email != null ? email : phone))
        .compose(rows -> rows.rowCount() > 0
            ? Future.succeededFuture(found(rows.iterator().next()))
            : Future.failedFuture(new IllegalStateException("user of app " + appId + " vanished after a conflict")));
  }

  /**
   * Selects the user of an identity and inserts one only when the select found none. ON CONFLICT without a
   * target covers both partial unique indexes, (app_id, email) and (app_id, phone). When a concurrent first
   * login commits after this statement's snapshot was taken, the insert does nothing and the statement
   * returns no row; {@link #find} then reads the winner's row with a fresh snapshot. The found user's channel
   * is marked verified in the same statement, only when it was not yet (no write on an ordinary login).
   */
  private static String findOrInsert(String column) {
    String verified = column + "_verified";
    return "WITH " + identityUser(column, "NULL::timestamptz", "true", "") + ", "
        + "verify AS (UPDATE users SET " + verified + " = true "
        + "WHERE id = (SELECT id FROM found) AND NOT (SELECT verified FROM found)) "
        + "SELECT " + User.COLUMNS + ", disabled, created FROM u";
  }

  /**
   * The user of an identity as three CTEs, over $1 (the id of a user made now), $2 (the app) and $3 (the email or
   * phone, by {@code column}): {@code found} (the existing user, with {@code disabled} and whether the identity is
   * {@code verified}), {@code inserted} (the user made, its identity verified, when none was found; its
   * {@code last_login_at} is the SQL expression {@code lastLoginAt}) and {@code u} (whichever of the two, with
   * {@code created}). Concurrent first logins make one user: the losing insert waits for the winner's commit and
   * does nothing, so the loser's {@code u} is empty (a new statement then finds the winner's row). No user is made
   * when the SQL condition {@code insertWhen} is false ({@code u} is empty then too). {@code lock}: a locking clause
   * for the found user's row, or empty.
   */
  public static String identityUser(String column, String lastLoginAt, String insertWhen, String lock) {
    String verified = column + "_verified";
    String columns = User.COLUMNS + ", disabled, " + verified + " AS verified";
    return "found AS (SELECT " + columns + " FROM users WHERE app_id = $2 AND " + column + " = $3" + lock + "), "
        + "inserted AS (INSERT INTO users (id, app_id, " + column + ", " + verified + ", last_login_at) "
        + "SELECT $1::uuid, $2::uuid, $3::text, true, " + lastLoginAt + " "
        + "WHERE NOT EXISTS (SELECT 1 FROM found) AND " + insertWhen + " ON CONFLICT DO NOTHING RETURNING " + columns
        + "), "
        + "u AS (SELECT *, false AS created FROM found UNION ALL SELECT *, true AS created FROM inserted)";
  }

  private static String insert(String column) {
    return "INSERT INTO users (id, app_id, " + column + ", profile, password_hash) VALUES ($1, $2, $3, $4, $5)";
  }

  private static Found found(Row row) {
    return new Found(User.fromRow(row), row.getBoolean("created"), row.getBoolean("disabled"));
  }

  private static User firstUser(RowSet<Row> rows) {
    var iterator = rows.iterator();
    return iterator.hasNext() ? User.fromRow(iterator.next()) : null;
  }
}
