package dev.portcullis.password;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import dev.portcullis.license.DeviceBinding;
import dev.portcullis.otp.Identity;
import dev.portcullis.user.UserPasswords;
import io.vertx.core.Future;
import dev.portcullis.core.messages.PasswordMessages.Change;
import dev.portcullis.core.messages.PasswordMessages.Login;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.Introspect;
import dev.portcullis.core.messages.TokenMessages.LoggedOut;
import dev.portcullis.core.messages.TokenMessages.Revoke;
import dev.portcullis.core.messages.TokenMessages.Revoked;
import dev.portcullis.core.messages.OtpMessages;
import dev.portcullis.core.messages.TokenMessages;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code PASSWORD_LOGIN} and {@code PASSWORD_CHANGE}. A login spends its challenge, passes the lock-out gate,
 * then always does one Argon2id check (against a dummy hash when there is no user or no password), so unknown
 * identities, wrong passwords and users without a password all answer the same {@code 401 invalid_credentials}
 * after the same work. Only a correct password learns that the identity is unverified or the user disabled.
 */
public final class Logins {

  /** How long a sign-in's best-effort rehash may wait for a hashing thread. */
  private static final long REHASH_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final AppDirectory apps;
  private final UserPasswords users;
  private final PasswordHasher hashing;
  private final Challenges challenges;
  private final LoginFailures failures;
  private final Bus bus;
  private final AuditLog audit;
  private final PasswordMetrics metrics;
  private final DeviceBinding devices;
  private final ChangeAllowance allowance;
  private final AuditStaging staging;

  public Logins(AppDirectory apps, UserPasswords users, PasswordHasher hashing, Challenges challenges,
                LoginFailures failures, Bus bus, AuditLog audit, AuditStaging staging, PasswordMetrics metrics,
                DeviceBinding devices, ChangeAllowance allowance) {
    this.staging = staging;
    this.apps = apps;
    this.users = users;
    this.hashing = hashing;
    this.challenges = challenges;
    this.failures = failures;
    this.bus = bus;
    this.audit = audit;
    this.metrics = metrics;
    this.devices = devices;
    this.allowance = allowance;
  }

  /**
   * {@code PASSWORD_LOGIN}: the token response. The session stands only while the password it proved is still the
   * user's: a reset or change revokes every session, but a login that checked the old password just before could
   * store its session just after that revocation ran. So the session's statement takes the password generation this
   * login verified, and makes no session once another one is stored (a change waits for it otherwise, and its second
   * revocation ends it). The login's success is recorded with the session's {@code token.issued}.
   */
  public Future<Grant> login(Login message) {
    return signIn(message, (request, userId, generation, succeeded) -> {
      TokenMessages.Issue login = request.issue(userId, false, message.tenantId())
          .withPasswordProof(generation, succeeded);
      // A session on a licensed device: bound only when the device's license key proves it.
      return devices.bind(login, message.deviceId(), message.licenseKey())
          .compose(bound -> bus.request(Bus.TOKEN_ISSUE, bound))
          .recover(Logins::userGone);
    });
  }

  /**
   * The only request field a login's session can get wrong is its user: deleted since the password was checked,
   * before the session's write (no such user) or during it (the write's reference to the user fails). Either way
   * the identity now has no user, which a login answers as it does for any such identity.
   */
  private static Future<Grant> userGone(Throwable failure) {
    ApiException api = Failures.toApi(failure);
    boolean gone = api.code() == ErrorCode.INVALID_REQUEST
        || api.code() == ErrorCode.NOT_FOUND && api.getMessage().startsWith("user_id:");
    return Future.failedFuture(gone ? LoginFailures.invalidCredentials() : failure);
  }

  /**
   * {@code PASSWORD_PROVE}: the same checks, limits and events as a login, answering the user the password proves
   * and no session (the hosted pages open theirs when the app redeems the flow's authorization code).
   */
  public Future<OtpMessages.Proven> prove(Login message) {
    return signIn(message, (request, userId, generation, succeeded) -> users.byId(request.appId(), userId)
        // The credentials' row holds the verified flags a user's own JSON, read from it, leaves false (h47). A user
        // deleted since the check is answered as any identity without a user is (h52).
        .compose(user -> user == null ? Future.failedFuture(LoginFailures.invalidCredentials())
            : audit.record(succeeded).map(recorded -> new OtpMessages.Proven(userId, user.user().toJson()
                .put("email_verified", user.emailVerified()).put("phone_verified", user.phoneVerified()), false,
                OtpMessages.Proven.credential(generation)))));
  }

  /**
   * What a right password leads to, which records {@code succeeded} once it stands. {@code generation}: the
   * password generation of the hash this login verified.
   */
  private interface Admitted<T> {
    Future<T> apply(PasswordRequest request, UUID userId, long generation, AuditEvent succeeded);
  }

  private <T> Future<T> signIn(Login message, Admitted<T> admitted) {
    Identity identity = Identity.of(message.email(), message.phone());
    String password = PasswordRequest.password("password", message.password());
    // The check and a rehash start by one deadline, so the sign-in ends before its caller stops waiting (h51).
    long startBy = hashing.startBy(HashingPool.MAX_QUEUE_WAIT_NANOS);
    return PasswordRequest.of(apps, message.appId(), message).compose(request -> {
      LoginFailures.Attempt gated = request.attempt(identity, null, Challenges.LOGIN)
          .spending(Challenges.spendId(message.challengeToken()));
      return challenges.check(request.challenge(Challenges.LOGIN, identity), message.challengeToken(),
              message.powSolution())
          .compose(passed -> failures.gate(gated))
          // Only the check ends the reservation on a failure: past a right password (settled then), a refusal or a
          // failed session must not give back a reservation again, which would be another guess's.
          .compose(open -> users.find(request.appId(), PasswordRequest.column(identity), identity.value())
              .compose(user -> check(request, gated, user, password, startBy))
              .onFailure(failure -> failures.unchecked(gated, failure)))
          .compose(user -> admit(request, identity, user, password, admitted, startBy));
    });
  }

  /** {@code PASSWORD_CHANGE}: the other sessions of the user end; the reply counts them. */
  public Future<LoggedOut> change(Change message) {
    String current = PasswordRequest.password("current_password", message.currentPassword());
    String next = PasswordRequest.password("new_password", message.newPassword());
    // Both hashes (the current password's, the new one) start by one deadline from the change's arrival, so the
    // change ends before its caller stops waiting: a change answered 503 must not commit afterwards (h50).
    long startBy = hashing.startBy(HashingPool.MAX_QUEUE_WAIT_NANOS);
    return PasswordRequest.of(apps, message.appId(), message).compose(request ->
        bus.request(Bus.TOKEN_INTROSPECT,
                new Introspect(message.accessToken(), request.appId(), request.requestId(), null))
            .compose(me -> users.byId(request.appId(), me.userId())
                .compose(user -> user == null
                    ? Future.failedFuture(new ApiException(ErrorCode.INVALID_TOKEN, "access_token: its user is gone"))
                    : change(request, user, UUID.fromString(me.session().getString("id")), current, next,
                        startBy))));
  }

  /** The user whose password this is, once the right password has settled its attempt; else a counted failure. */
  private Future<UserPasswords.Credentials> check(PasswordRequest request, LoginFailures.Attempt gated,
                                                  UserPasswords.Credentials user, String password, long startBy) {
    String stored = user == null ? null : user.passwordHash();
    LoginFailures.Attempt attempt = gated.of(user == null ? null : user.user().id());
    return hashing.verify(request.appId(), password, stored, startBy).compose(matches -> {
      if (!matches) {
        return failures.failed(attempt);
      }
      return failures.succeeded(attempt).map(user);
    });
  }

  /** The password was right: the user may still be disabled or unverified, else a session is issued. */
  private <T> Future<T> admit(PasswordRequest request, Identity identity, UserPasswords.Credentials user,
                              String password, Admitted<T> admitted, long startBy) {
    UUID userId = user.user().id();
    if (user.disabled()) {
      return refuse(request, identity, userId, "user_disabled",
          new ApiException(ErrorCode.USER_DISABLED, "this user is disabled"));
    }
    if (request.app().settings().requireVerifiedIdentity() && !user.verified(PasswordRequest.column(identity))) {
      return refuse(request, identity, userId, "identity_not_verified",
          new ApiException(ErrorCode.IDENTITY_NOT_VERIFIED, identity.kind().field()
              + ": is not verified yet; complete the verification (POST /auth/resend-verification sends a code)"));
    }
    // The login time is written with the session (or when the hosted flow's code is redeemed), not here: one
    // write of the user's row per login. A rehash that cannot be done now (a full pool, a failed write) waits for a
    // later login rather than failing this one; one that lost to another write proves the generation read with the
    // hash all the same (another login's rehash kept it, a change did not and is caught later).
    String verified = user.passwordHash();
    Future<Void> rehashed = hashing.needsRehash(verified)
        // At most a second's wait for a thread, and by the sign-in's deadline: the session must not wait on a busy
        // pool for a best-effort rehash (h50, h51: a login answered 503 at 10 s issued its session a moment later).
        ? hashing.hash(request.appId(), password, Math.min(startBy, hashing.startBy(REHASH_WAIT_NANOS)))
            .compose(fresh -> users.rehash(userId, verified, fresh))
            .onSuccess(replaced -> {
              if (replaced) {
                metrics.changed("rehash");
              }
            })
            .<Void>mapEmpty()
            .otherwise((Void) null)
        : Future.succeededFuture();
    // Only a proven identity's sign-in opens its network to the identity's codes: without require_verified_identity,
    // a password set by the admin API for an address nobody proved signs in all the same (h41).
    Future<Void> signedIn = user.verified(PasswordRequest.column(identity))
        ? failures.signedIn(request.appId(), identity, request.network())
        : Future.succeededFuture();
    // The login's event once what it leads to stands: a session refused after the check (the password changed or
    // the user deleted meanwhile, h95) is a failed login, not a success followed by a refusal.
    AuditEvent succeeded = AuditEvent.of(AuditEvent.PASSWORD_LOGIN_SUCCEEDED, request.appId(), request.requestId(),
            request.clientIp())
        .withUser(userId)
        .with(identity.kind().field(), identity.masked());
    return Future.join(rehashed, signedIn)
        .compose(done -> admitted.apply(request, userId, user.passwordGeneration(), succeeded))
        .compose(result -> {
          metrics.login("success");
          return Future.succeededFuture(result);
        }, failure -> {
          ApiException refusal = Failures.toApi(failure);
          if (refusal.code().status() >= 500) {
            return Future.failedFuture(failure);
          }
          // invalid_credentials here: the password changed, or the user was deleted, since the check.
          String reason = refusal.code() == ErrorCode.INVALID_CREDENTIALS ? "changed_meanwhile" : refusal.code().code();
          return refuse(request, identity, userId, reason, refusal);
        });
  }

  private Future<LoggedOut> change(PasswordRequest request, UserPasswords.Credentials user, UUID sessionId,
                                   String current, String next, long startBy) {
    Identity identity = Identity.stored(user.user().email(), user.user().phone());
    try {
      PasswordPolicy.of(request.app().settings()).check("new_password", next, identity);
    } catch (ApiException weak) {
      metrics.weak();
      return Future.failedFuture(weak);
    }
    LoginFailures.Attempt attempt = request.attempt(identity, user.user().id(), LoginFailures.CHANGE_PASSWORD);
    AuditStaging.Batch events = staging.batch();
    return allowance.reserve(attempt, sessionId)
        .compose(reservation -> failures.gate(attempt)
            .onFailure(reservation::ended)
            .compose(open -> hashing.verify(request.appId(), current, user.passwordHash(), startBy)
                .compose(matches -> matches
                    ? failures.succeeded(attempt).compose(settled -> reservation.cleared())
                    : failures.<Void>failed(attempt))
                .onFailure(failure -> {
                  failures.unchecked(attempt, failure);
                  reservation.ended(failure);
                })))
        .compose(cleared -> hashing.hash(request.appId(), next, startBy))
        // The other sessions are revoked before the change (with the user's row held): when that fails, nothing
        // changed and the same request can be sent again. Revoked only after it, a failure left them live behind a
        // committed password, and the retry was refused (its current_password no longer is).
        // Its event is staged in the change's transaction: recorded after the commit, it could fail and answer 503
        // for a committed change (h52).
        .compose(hash -> users.change(user.user().id(), user.passwordGeneration(), hash,
            () -> revokeOthers(request, user.user().id(), sessionId),
            events.events(before -> List.of(AuditEvent.of(AuditEvent.PASSWORD_CHANGED, request.appId(),
                    request.requestId(), request.clientIp())
                .withUser(user.user().id())
                .with("revoked_sessions", before)))))
        .compose(before -> before != null ? Future.succeededFuture(before)
            : Future.failedFuture(new ApiException(ErrorCode.CONFLICT,
                "the password was changed by another request meanwhile; sign in again")))
        // And again after it, for a session a login with the old password made in between (its own session.revoked
        // events count it); the change is recorded whether or not that second round answers.
        .compose(before -> revokeOthers(request, user.user().id(), sessionId).transform(after -> {
          int revoked = before + (after.succeeded() ? after.result() : 0);
          metrics.changed("change");
          return events.recorded(revoked)
              .compose(stored -> after.succeeded() ? Future.succeededFuture(new LoggedOut(revoked))
                  : Future.failedFuture(after.cause()));
        }));
  }

  private Future<Integer> revokeOthers(PasswordRequest request, UUID userId, UUID keptSessionId) {
    return bus.request(Bus.TOKEN_REVOKE, Revoke.userBut(request.appId(), userId, keptSessionId, "password_changed",
            PasswordRequest.USER_ACTOR, request.requestId(), request.clientIp()))
        .map(Revoked::revoked);
  }

  private <T> Future<T> refuse(PasswordRequest request, Identity identity, UUID userId, String reason,
                                    ApiException refusal) {
    metrics.login(reason);
    AuditEvent event = AuditEvent.of(AuditEvent.PASSWORD_LOGIN_FAILED, request.appId(), request.requestId(),
            request.clientIp())
        .withUser(userId)
        .with(identity.kind().field(), identity.masked())
        .with("reason", reason);
    return audit.record(event).transform(ignored -> Future.failedFuture(refusal));
  }
}
