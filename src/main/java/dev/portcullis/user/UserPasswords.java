package dev.portcullis.user;

import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The password side of the users table, kept in one place: password hashes (Argon2id PHC strings, never
 * answered), verified flags, the time terms were accepted. The user row itself is made by
 * {@link UserRepository#findOrCreate}.
 */
public final class UserPasswords {

  /**
   * A user as a password login sees it. {@code passwordHash} is null for a user who never set a password;
   * {@code passwordGeneration} counts the passwords set (a rehash of the same one is not counted).
   */
  public record Credentials(User user, String passwordHash, long passwordGeneration, boolean emailVerified,
                            boolean phoneVerified, boolean disabled) {

    /** Whether the channel of {@code column} ("email" or "phone") has been proven. */
    public boolean verified(String column) {
      return "email".equals(column) ? emailVerified : phoneVerified;
    }
  }

  private static final String CREDENTIAL_COLUMNS =
      User.COLUMNS + ", password_hash, password_generation, email_verified, phone_verified, disabled";
  private static final String BY_EMAIL =
      "SELECT " + CREDENTIAL_COLUMNS + " FROM users WHERE app_id = $1 AND email = $2";
  private static final String BY_PHONE =
      "SELECT " + CREDENTIAL_COLUMNS + " FROM users WHERE app_id = $1 AND phone = $2";
  private static final String BY_ID =
      "SELECT " + CREDENTIAL_COLUMNS + " FROM users WHERE app_id = $1 AND id = $2";
  private static final String NEXT_GENERATION = "password_generation = password_generation + 1";
  /** A verified signup: the password is set unless the user (made by a code login meanwhile) already has one. */
  private static final String COMPLETE_SIGNUP_EMAIL = completeSignup("email_verified");
  private static final String COMPLETE_SIGNUP_PHONE = completeSignup("phone_verified");
  /**
   * Only for a user still enabled: the statement waits for a disable that holds the row, and reads the row again
   * after it (a disable committed meanwhile is seen), so a disabled user's password is never replaced.
   */
  private static final String RESET_EMAIL = "UPDATE users SET password_hash = $2, " + NEXT_GENERATION
      + ", email_verified = true WHERE id = $1 AND NOT disabled";
  private static final String RESET_PHONE = "UPDATE users SET password_hash = $2, " + NEXT_GENERATION
      + ", phone_verified = true WHERE id = $1 AND NOT disabled";
  /** NO KEY: concurrent changes queue here, while logins may still insert sessions that refer to the user. */
  private static final String HOLD_PASSWORD =
      "SELECT password_generation FROM users WHERE id = $1 FOR NO KEY UPDATE";
  private static final String CHANGE = "UPDATE users SET password_hash = $2, " + NEXT_GENERATION + " WHERE id = $1";
  /**
   * Only while the hash is still the one that was verified, so a concurrent change is never overwritten. The same
   * password: its generation stays.
   */
  private static final String REHASH = "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2";

  private final Postgres pg;
  private final Postgres changes;

  /** {@code changes}: a pool of its own for {@link #change}, whose transaction waits on the requests' pool. */
  public UserPasswords(Postgres pg, Postgres changes) {
    this.pg = pg;
    this.changes = changes;
  }

  /** The user of an identity ({@code column} "email" or "phone"), or null when the app has none. */
  public Future<Credentials> find(UUID appId, String column, String value) {
    String sql = "email".equals(column) ? BY_EMAIL : BY_PHONE;
    return pg.run(pool -> pool.preparedQuery(sql).execute(Tuple.of(appId, value))).map(UserPasswords::credentials);
  }

  public Future<Credentials> byId(UUID appId, UUID userId) {
    return pg.run(pool -> pool.preparedQuery(BY_ID).execute(Tuple.of(appId, userId))).map(UserPasswords::credentials);
  }

  /**
   * The verified identity, the password (unless one is set already), the profile when empty, the terms time: on
   * {@code conn}, the transaction that made the user.
   */
  public static Future<Void> completeSignup(SqlConnection conn, UUID userId, String column, String passwordHash,
                                            JsonObject profile, OffsetDateTime termsAcceptedAt) {
    String sql = "email".equals(column) ? COMPLETE_SIGNUP_EMAIL : COMPLETE_SIGNUP_PHONE;
    Tuple args = Tuple.of(userId, passwordHash, profile == null ? new JsonObject() : profile, termsAcceptedAt);
    return conn.preparedQuery(sql).execute(args).mapEmpty();
  }

  /**
   * A reset: the new password, and the identity that received the code counts as verified. True when stored; false,
   * with nothing changed, when the user is disabled or gone (as of the write, not of an earlier read). {@code audit}
   * runs on the user's id in the same transaction when stored.
   */
  public Future<Boolean> reset(UUID userId, String column, String passwordHash, AuditStaging.Step<UUID> audit) {
    String sql = "email".equals(column) ? RESET_EMAIL : RESET_PHONE;
    // In a transaction, so that the deadline rolls back a write still running at it: a reset answered 503 had
    // replaced the password once the statement ended, with the rest of the reset (its second revocation, its
    // audit event, the lock-outs' clearing) never run. Its audit event is staged in it (h52).
    return pg.inTransaction(conn -> conn.preparedQuery(sql).execute(Tuple.of(userId, passwordHash))
            .compose(rows -> audit.after(conn, rows.rowCount() == 1 ? userId : null)))
        .map(Objects::nonNull);
  }

  /** A login's rehash under newer parameters: true when stored, false when a change came first. */
  public Future<Boolean> rehash(UUID userId, String verifiedHash, String newHash) {
    return pg.run(pool -> pool.preparedQuery(REHASH).execute(Tuple.of(userId, verifiedHash, newHash)))
        .map(rows -> rows.rowCount() == 1);
  }

  /**
   * Replaces the verified password (of generation {@code verifiedGeneration}) with {@code newHash}, running
   * {@code beforeStoring} (the revocation of the user's other sessions) first, with the user's row held: concurrent
   * changes go one after the other, and one that finds the password replaced meanwhile runs nothing (a login's rehash
   * of the same password does not count). Revoking before the lock was held, the change that lost revoked the session
   * of the one that won. The answer of {@code beforeStoring}, or null when another change came first. {@code audit}
   * runs on that answer in the same transaction when stored.
   */
  public Future<Integer> change(UUID userId, long verifiedGeneration, String newHash,
                                Supplier<Future<Integer>> beforeStoring, AuditStaging.Step<Integer> audit) {
    return changes.inTransaction(conn -> conn.preparedQuery(HOLD_PASSWORD).execute(Tuple.of(userId)).compose(rows -> {
      if (rows.size() == 0) {
        // Deleted meanwhile (its sessions with it): not "changed by another request".
        return Future.failedFuture(new ApiException(ErrorCode.SESSION_REVOKED, "the user no longer exists"));
      }
      if (rows.iterator().next().getLong("password_generation") != verifiedGeneration) {
        return Future.succeededFuture(null);
      }
      // Bounded within the transaction's own bound: a revocation answering later would let the change commit after its
      // caller was told 503 (rolled back here, the sessions it revoked stay revoked).
      return beforeStoring.get().timeout(changes.timeoutMs() / 2, TimeUnit.MILLISECONDS)
          .compose(result -> conn.preparedQuery(CHANGE).execute(Tuple.of(userId, newHash)).map(result))
          .compose(result -> audit.after(conn, result));
    }));
  }

  private static String completeSignup(String verifiedColumn) {
    return "UPDATE users SET " + verifiedColumn + " = true, password_hash = coalesce(password_hash, $2), "
        + "password_generation = password_generation + CASE WHEN password_hash IS NULL THEN 1 ELSE 0 END, "
        + "profile = CASE WHEN profile = '{}'::jsonb THEN $3::jsonb ELSE profile END, "
        + "terms_accepted_at = coalesce($4, terms_accepted_at), last_login_at = now() WHERE id = $1";
  }

  private static Credentials credentials(RowSet<Row> rows) {
    var iterator = rows.iterator();
    if (!iterator.hasNext()) {
      return null;
    }
    Row row = iterator.next();
    return new Credentials(User.fromRow(row), row.getString("password_hash"), row.getLong("password_generation"),
        row.getBoolean("email_verified"), row.getBoolean("phone_verified"), row.getBoolean("disabled"));
  }
}
