package dev.portcullis.password;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.otp.Identity;
import dev.portcullis.user.UserChanges;
import dev.portcullis.user.UserPasswords;
import dev.portcullis.core.messages.PasswordMessages.RequestReset;
import dev.portcullis.core.messages.PasswordMessages.Reset;
import dev.portcullis.core.messages.PasswordMessages.ResetPending;
import dev.portcullis.core.messages.TokenMessages.LoggedOut;
import dev.portcullis.core.messages.TokenMessages.Revoke;
import io.vertx.core.Future;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PASSWORD_RESET_REQUEST} and {@code PASSWORD_RESET}. A reset request answers the same for any
 * identity, and its {@code reset_id} behaves the same (stored, counted, burned by wrong codes): only a real
 * account is sent the code. A reset revokes every session of the user, verifies the identity that received the
 * code, and lifts the identity's lock-outs; for a disabled user it does none of that and answers as an expired code.
 */
public final class Resets {

  private static final Logger LOG = LoggerFactory.getLogger(Resets.class);

  private final AppDirectory apps;
  private final UserPasswords users;
  private final PasswordHasher hashing;
  private final Challenges challenges;
  private final VerificationCodes codes;
  private final LoginFailures failures;
  private final Bus bus;
  private final AuditLog audit;
  private final PasswordMetrics metrics;
  private final UserChanges changes;
  private final AuditStaging staging;

  public Resets(AppDirectory apps, UserPasswords users, PasswordHasher hashing, Challenges challenges,
                VerificationCodes codes, LoginFailures failures, Bus bus, AuditLog audit, AuditStaging staging,
                PasswordMetrics metrics, UserChanges changes) {
    this.staging = staging;
    this.changes = changes;
    this.apps = apps;
    this.users = users;
    this.hashing = hashing;
    this.challenges = challenges;
    this.codes = codes;
    this.failures = failures;
    this.bus = bus;
    this.audit = audit;
    this.metrics = metrics;
  }

  /** {@code PASSWORD_RESET_REQUEST}: the same answer for any identity. */
  public Future<ResetPending> request(RequestReset message) {
    Identity identity = Identity.of(message.email(), message.phone());
    return PasswordRequest.of(apps, message.appId(), message).compose(request -> {
      App app = request.app();
      return challenges.check(request.challenge("reset", identity), message.challengeToken(), message.powSolution())
          .compose(passed -> users.find(app.id(), PasswordRequest.column(identity), identity.value()))
          .compose(user -> codes.send(new VerificationCodes.Send(app, identity, request.network(),
                  VerificationCodes.Purpose.RESET,
                  user != null ? VerificationCodes.Delivery.CODE : VerificationCodes.Delivery.NONE, null,
                  request.requestId(), request.clientIp()))
              .compose(sent -> audit.record(AuditEvent.of(AuditEvent.PASSWORD_RESET_REQUESTED, app.id(),
                          request.requestId(), request.clientIp())
                      .withUser(user == null ? null : user.user().id())
                      .with(identity.kind().field(), identity.masked())
                      .with("reset_id", sent.id()))
                  .map(recorded -> new ResetPending(sent.id(), sent.expiresIn()))));
    });
  }

  /** {@code PASSWORD_RESET}: the new password is set and every session of the user revoked; the reply counts them. */
  public Future<LoggedOut> reset(Reset message) {
    String code = PasswordRequest.required("code", message.code());
    String password = PasswordRequest.password("new_password", message.newPassword());
    UUID resetId = AppDirectory.parseUuid(PasswordRequest.required("reset_id", message.resetId()));
    // The hash starts by a deadline from the reset's arrival, as a change's and a sign-in's do (h52).
    long startBy = hashing.startBy(HashingPool.MAX_QUEUE_WAIT_NANOS);
    return PasswordRequest.of(apps, message.appId(), message).compose(request -> {
      PasswordPolicy policy = PasswordPolicy.of(request.app().settings());
      if (resetId == null) {
        return Future.failedFuture(VerificationCodes.expired());
      }
      String id = resetId.toString();
      // The policy is checked before the code is spent (a weak password must not cost the user the code), with the
      // identity the request was sent to when it is still live. So is the hash, once the code is known to be right:
      // a 503 of a full hashing pool leaves the code for the retry, and a wrong code (or one of a burned or locked
      // request) costs no hash (h56).
      return codes.peek(request.appId(), VerificationCodes.Purpose.RESET, id)
          .compose(pendingFor -> {
            try {
              policy.check("new_password", password, pendingFor);
            } catch (ApiException weak) {
              metrics.weak();
              return Future.failedFuture(weak);
            }
            return codes.check(request.appId(), VerificationCodes.Purpose.RESET, id, code, request.requestId(),
                request.clientIp());
          })
          .compose(right -> hashing.hash(request.appId(), password, startBy))
          .compose(hash -> codes.verify(request.appId(), VerificationCodes.Purpose.RESET, id, code, request.requestId(),
                  request.clientIp())
              .compose(identity -> users.find(request.appId(), PasswordRequest.column(identity), identity.value())
                  .compose(user -> {
                    if (user == null) {
                      return Future.failedFuture(VerificationCodes.expired());
                    }
                    if (user.disabled()) {
                      return disabled(request, user.user().id(), id);
                    }
                    return complete(request, identity, user.user().id(), id, hash);
                  })));
    });
  }

  /**
   * A disabled user's credentials are not changed by whoever holds the code: refused as an expired code is (the
   * code is spent), with no password, verified flag or lock-out touched.
   */
  private <T> Future<T> disabled(PasswordRequest request, UUID userId, String resetId) {
    return codes.unusable(request.appId(), VerificationCodes.Purpose.RESET, resetId, userId, "user_disabled",
        request.requestId(), request.clientIp());
  }

  /**
   * The new password was not stored, its user disabled (or deleted) since it was read: refused as an expired code,
   * audited when the user is still there.
   */
  private Future<Integer> notStored(PasswordRequest request, UUID userId, String resetId) {
    return users.byId(request.appId(), userId).compose(now -> now == null
        ? Future.failedFuture(VerificationCodes.expired())
        : disabled(request, userId, resetId));
  }

  private Future<LoggedOut> complete(PasswordRequest request, Identity identity, UUID userId, String resetId,
                                     String hash) {
    Revoke revoke = Revoke.user(request.appId(), userId, "password_reset", PasswordRequest.USER_ACTOR,
        request.requestId(), request.clientIp());
    // Every session is revoked before the new password is stored: when that fails, the password is unchanged (the
    // spent code is asked anew) rather than stored with the sessions it was reset against still live. Again after
    // it, for a session a login with the old password made in between; the reset is recorded whether or not that
    // second round answers. The lock-outs' clearing, a Redis write that can fail, comes last and is logged. The
    // store itself checks that the user is still enabled, so a disable committed since the user was read stops it.
    // Its event is staged in the reset's transaction: recorded after the commit, it could fail and answer 503 for a
    // stored password, with the lock-outs left as they were (h52).
    AuditStaging.Batch events = staging.batch();
    return bus.request(Bus.TOKEN_REVOKE, revoke)
        .compose(before -> users.reset(userId, PasswordRequest.column(identity), hash,
                events.events(user -> List.of(AuditEvent.of(AuditEvent.PASSWORD_RESET_COMPLETED, request.appId(),
                        request.requestId(), request.clientIp())
                    .withUser(user)
                    .with(identity.kind().field(), identity.masked())
                    .with("reset_id", resetId)
                    .with("revoked_sessions", before.revoked()))))
            .compose(stored -> stored ? Future.succeededFuture(before.revoked())
                : notStored(request, userId, resetId)))
        .compose(before -> changes.changed(userId).map(before))
        .compose(before -> bus.request(Bus.TOKEN_REVOKE, revoke).transform(after -> {
          metrics.changed("reset");
          int count = before + (after.succeeded() ? after.result().revoked() : 0);
          return events.recorded(count)
              .compose(recorded -> after.succeeded() ? Future.succeededFuture(new LoggedOut(count))
                  : Future.failedFuture(after.cause()));
        }))
        .compose(answer -> failures.cleared(request.appId(), identity, userId)
            .recover(failure -> {
              LOG.warn("password reset of user {} done, but its lock-outs could not be cleared: {}", userId,
                  failure.getMessage());
              return Future.succeededFuture();
            })
            .map(answer));
  }
}
