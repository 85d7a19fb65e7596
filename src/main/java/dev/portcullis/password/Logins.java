package dev.portcullis.password;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.otp.Identity;
import dev.portcullis.user.UserPasswords;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * {@code PASSWORD_LOGIN} and {@code PASSWORD_CHANGE}. A login spends its challenge, passes the lock-out gate,
 * then always does one Argon2id check (against a dummy hash when there is no user or no password), so unknown
 * identities, wrong passwords and users without a password all answer the same {@code 401 invalid_credentials}
 * after the same work. Only a correct password learns that the identity is unverified or the user disabled.
 */
public final class Logins {

  private final AppDirectory apps;
  private final UserPasswords users;
  private final PasswordHashing hashing;
  private final Challenges challenges;
  private final LoginFailures failures;
  private final Bus bus;
  private final AuditLog audit;
  private final PasswordMetrics metrics;

  public Logins(AppDirectory apps, UserPasswords users, PasswordHashing hashing, Challenges challenges,
                LoginFailures failures, Bus bus, AuditLog audit, PasswordMetrics metrics) {
    this.apps = apps;
    this.users = users;
    this.hashing = hashing;
    this.challenges = challenges;
    this.failures = failures;
    this.bus = bus;
    this.audit = audit;
    this.metrics = metrics;
  }

  /** {app_id, email | phone, password, challenge_token?, pow_solution?, tenant_id?, device_id?} → token response. */
  public Future<JsonObject> login(JsonObject body) {
    return PasswordRequest.of(apps, body).compose(request -> {
      Identity identity = request.identity();
      String password = PasswordPolicy.normalise(request.required("password"));
      return challenges.check(request.challenge("login", identity), request.string("challenge_token"),
              request.string("pow_solution"))
          .compose(passed -> failures.gate(request.attempt(identity, null, "login")))
          .compose(open -> users.find(request.appId(), PasswordRequest.column(identity), identity.value()))
          .compose(user -> check(request, identity, user, password));
    });
  }

  /** {app_id, access_token, current_password, new_password} → {revoked}: the other sessions of the user end. */
  public Future<JsonObject> change(JsonObject body) {
    return PasswordRequest.of(apps, body).compose(request -> {
      String current = PasswordPolicy.normalise(request.required("current_password"));
      String next = PasswordPolicy.normalise(request.required("new_password"));
      JsonObject introspect = new JsonObject()
          .put("app_id", request.appId().toString())
          .put("access_token", request.required("access_token"))
          .put("request_id", request.requestId());
      return bus.request(Bus.TOKEN_INTROSPECT, introspect)
          .compose(me -> users.byId(request.appId(), UUID.fromString(me.getJsonObject("user").getString("id")))
              .compose(user -> user == null
                  ? Future.failedFuture(new ApiException(ErrorCode.INVALID_TOKEN, "access_token: its user is gone"))
                  : change(request, user, me.getJsonObject("session").getString("id"), current, next)));
    });
  }

  private Future<JsonObject> check(PasswordRequest request, Identity identity, UserPasswords.Credentials user,
                                   String password) {
    String stored = user == null ? null : user.passwordHash();
    LoginFailures.Attempt attempt = request.attempt(identity, user == null ? null : user.user().id(), "login");
    return hashing.verify(password, stored).compose(matches -> {
      if (!matches) {
        return failures.failed(attempt);
      }
      return failures.succeeded(attempt).compose(cleared -> admit(request, identity, user, password));
    });
  }

  /** The password was right: the user may still be disabled or unverified, else a session is issued. */
  private Future<JsonObject> admit(PasswordRequest request, Identity identity, UserPasswords.Credentials user,
                                   String password) {
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
    Future<String> rehash = hashing.needsRehash(user.passwordHash())
        ? hashing.hash(password).onSuccess(fresh -> metrics.changed("rehash"))
        : Future.succeededFuture(null);
    return rehash
        .compose(fresh -> users.loggedIn(userId, user.passwordHash(), fresh))
        .compose(recorded -> {
          metrics.login("success");
          Future<Void> audited = audit.record(AuditEvent.of(AuditEvent.PASSWORD_LOGIN_SUCCEEDED, request.appId(),
                  request.requestId(), request.clientIp())
              .withUser(userId)
              .with(identity.kind().field(), identity.masked()));
          Future<JsonObject> issued = bus.request(Bus.TOKEN_ISSUE, request.issue(user.user().toJson(), false));
          return Future.join(audited, issued)
              .transform(done -> audited.failed() ? Future.failedFuture(audited.cause()) : issued);
        });
  }

  private Future<JsonObject> change(PasswordRequest request, UserPasswords.Credentials user, String sessionId,
                                    String current, String next) {
    Identity identity = user.user().email() != null
        ? Identity.email(user.user().email())
        : Identity.phone(user.user().phone());
    try {
      PasswordPolicy.of(request.app().settings()).check("new_password", next, identity);
    } catch (ApiException weak) {
      metrics.weak();
      return Future.failedFuture(weak);
    }
    LoginFailures.Attempt attempt = request.attempt(identity, user.user().id(), "change_password");
    return failures.gate(attempt)
        .compose(open -> hashing.verify(current, user.passwordHash()))
        .compose(matches -> matches ? failures.succeeded(attempt) : failures.failed(attempt))
        .compose(cleared -> hashing.hash(next))
        .compose(hash -> users.change(user.user().id(), user.passwordHash(), hash))
        .compose(changed -> changed
            ? revokeOthers(request, user.user().id(), sessionId)
            : Future.failedFuture(new ApiException(ErrorCode.CONFLICT,
                "the password was changed by another request meanwhile; sign in again")))
        .compose(revoked -> {
          metrics.changed("change");
          return audit.record(AuditEvent.of(AuditEvent.PASSWORD_CHANGED, request.appId(), request.requestId(),
                      request.clientIp())
                  .withUser(user.user().id())
                  .with("revoked_sessions", revoked))
              .map(stored -> new JsonObject().put("revoked", revoked));
        });
  }

  private Future<Integer> revokeOthers(PasswordRequest request, UUID userId, String keptSessionId) {
    JsonObject revoke = new JsonObject()
        .put("app_id", request.appId().toString())
        .put("user_id", userId.toString())
        .put("except_session_id", keptSessionId)
        .put("reason", "password_changed")
        .put("request_id", request.requestId())
        .put("client_ip", request.clientIp());
    return bus.request(Bus.TOKEN_REVOKE_USER, revoke).map(reply -> reply.getInteger("revoked"));
  }

  private Future<JsonObject> refuse(PasswordRequest request, Identity identity, UUID userId, String reason,
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
