package dev.portcullis.password;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import dev.portcullis.otp.Identity;
import dev.portcullis.otp.OtpCodes;
import dev.portcullis.otp.OtpStore;
import dev.portcullis.otp.OtpRefusals;
import dev.portcullis.security.SecurityEvents;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The failure side of password logins (and of a wrong {@code current_password}): the gate in front of a
 * password check, the counting of a failure with its lock-outs, audit events, metrics and security events, and
 * the clearing after a success. Everything is keyed on the normalised identity and the client network, whether
 * or not a user exists.
 */
public final class LoginFailures {

  /** The action of a password change's check of the current password. */
  static final String CHANGE_PASSWORD = "change_password";

  /**
   * Who is trying, from where, for which app; {@code userId} is null when the identity has no user, {@code challenge}
   * the hash of the challenge a login spent (its password check in flight), or null.
   */
  public record Attempt(UUID appId, Identity identity, String network, UUID userId, int maxFailures,
                        int maxFailuresPerNetwork, String action, String requestId, String clientIp, String challenge) {

    Attempt of(UUID user) {
      return new Attempt(appId, identity, network, user, maxFailures, maxFailuresPerNetwork, action, requestId, clientIp,
          challenge);
    }

    Attempt spending(String challengeHash) {
      return new Attempt(appId, identity, network, userId, maxFailures, maxFailuresPerNetwork, action, requestId,
          clientIp, challengeHash);
    }

    AuditEvent event(String type) {
      return AuditEvent.of(type, appId, requestId, clientIp)
          .withUser(userId)
          .with(identity.kind().field(), identity.masked())
          .with("action", action);
    }
  }

  private final PasswordStore store;
  private final OtpStore codes;
  private final OtpCodes names;
  private final AuditLog audit;
  private final PasswordMetrics metrics;
  private final SecurityAlerts alerts;

  public LoginFailures(PasswordStore store, OtpStore codes, OtpCodes names, AuditLog audit, PasswordMetrics metrics,
                       SecurityAlerts alerts) {
    this.store = store;
    this.codes = codes;
    this.names = names;
    this.audit = audit;
    this.metrics = metrics;
    this.alerts = alerts;
  }

  /**
   * Succeeds when a password may be checked, reserving the attempt: until it ends ({@link #failed},
   * {@link #succeeded} or {@link #unchecked}) it counts against the limits as a failure would, so that concurrent
   * guesses cannot check more passwords than the limits allow. Fails with {@code 429 rate_limited} during a
   * lock-out, or when the attempts already in flight would reach one. A password change's check is never refused
   * here: its session and its user bound its guesses ({@link ChangeAllowance}), and these lock-outs are ones
   * strangers' wrong logins start.
   */
  public Future<Void> gate(Attempt attempt) {
    return store.gate(attempt.appId(), identityName(attempt), networkName(attempt), attempt.maxFailures(),
            attempt.maxFailuresPerNetwork(), !CHANGE_PASSWORD.equals(attempt.action()))
        .<Void>compose(gate -> {
          if (gate.open()) {
            return Future.succeededFuture();
          }
          boolean network = "network".equals(gate.refusedFor());
          boolean busy = "busy".equals(gate.refusedFor());
          metrics.login(busy ? "in_flight" : "locked_out");
          if (!busy) {
            metrics.lockout(network ? "network" : "identity_network");
          }
          long seconds = OtpRefusals.seconds(gate.retryAfterMs());
          String identity = attempt.identity().kind().field();
          String message = network
              ? "client_ip: too many failed password logins from this network; retry in " + seconds + " s"
              : busy
                  ? identity + ": other password logins of this identity from this network are being checked; "
                      + "retry in " + seconds + " s"
                  : identity + ": too many failed password logins from this network; "
                      + "password login is locked for " + seconds + " s";
          AuditEvent refused = attempt.event(AuditEvent.RATE_LIMITED)
              .with("reason", network ? "password_network" : busy ? "password_in_flight" : "password_lockout");
          return OtpRefusals.after(audit.record(refused),
              ApiException.rateLimited(ErrorCode.RATE_LIMITED, message, seconds));
        })
        // refused, or the gate could not be asked: the spent challenge checks no password after all
        .onFailure(notPassed -> {
          if (attempt.challenge() != null) {
            store.released(attempt.appId(), identityName(attempt), attempt.challenge());
          }
        });
  }

  /** Counts a wrong password and fails with {@code 401 invalid_credentials} once it is recorded. */
  public <T> Future<T> failed(Attempt attempt) {
    return store.failure(attempt.appId(), identityName(attempt), networkName(attempt), attempt.maxFailures(),
            attempt.challenge())
        .compose(failure -> {
          metrics.login("invalid_credentials");
          List<AuditEvent> events = new ArrayList<>();
          events.add(attempt.event(AuditEvent.PASSWORD_LOGIN_FAILED)
              .with("reason", "invalid_credentials")
              .with("consecutive_failures", failure.consecutive()));
          if (failure.lockedMs() > 0) {
            long seconds = OtpRefusals.seconds(failure.lockedMs());
            metrics.lockout("identity_network");
            events.add(attempt.event(AuditEvent.PASSWORD_LOCKED_OUT).with("locked_for", seconds));
            alerts.emit(SecurityEvents.IDENTITY_LOCKED_OUT, attempt.appId(), attempt.userId(), new JsonObject()
                .put("reason", "password_failures")
                .put(attempt.identity().kind().field(), attempt.identity().masked())
                .put("client_ip", attempt.clientIp())
                .put("locked_for", seconds), attempt.requestId());
          }
          if (failure.consecutive() == Difficulty.CONSECUTIVE_CEILING) {
            alerts.emit(SecurityEvents.CHALLENGE_DIFFICULTY_RAISED, attempt.appId(), attempt.userId(), new JsonObject()
                .put(attempt.identity().kind().field(), attempt.identity().masked())
                .put("consecutive_failures", failure.consecutive())
                .put("reason", "consecutive_failures"), attempt.requestId());
          }
          return OtpRefusals.after(audit.record(events), invalidCredentials());
        });
  }

  /** A correct password: this identity's failures from this network and its streak are forgotten. */
  public Future<Void> succeeded(Attempt attempt) {
    return store.settle(attempt.appId(), identityName(attempt), networkName(attempt), true, attempt.challenge());
  }

  /**
   * A sign-in by password was admitted (the user enabled) for a verified identity, whatever the app's
   * require_verified_identity: its network counts as one that signed the identity in, for the identity's codes
   * ({@link OtpStore#signedIn}; best effort). Not at a right password alone: a refused login, or a password set for an
   * address nobody proved, would open networks to that inbox (h37, h41).
   */
  public Future<Void> signedIn(UUID appId, Identity identity, String network) {
    return network == null ? Future.succeededFuture()
        : codes.signedIn(appId, names.identityName(appId, identity), names.networkName(appId, network))
            .otherwise((Void) null);
  }

  /**
   * After a gated attempt ends in {@code failure} before its password was settled: unless that was the counted
   * wrong password (401 invalid_credentials), the reservation is given back, e.g. when the hashing pool was full.
   * Never after {@link #succeeded}, which ended it: a second give-back would end another guess's reservation.
   */
  public void unchecked(Attempt attempt, Throwable failure) {
    if (Failures.toApi(failure).code() != ErrorCode.INVALID_CREDENTIALS) {
      store.settle(attempt.appId(), identityName(attempt), networkName(attempt), false, attempt.challenge());
    }
  }

  /**
   * A completed reset: every lock-out of the identity, from every network, is lifted, and the user's count of wrong
   * current passwords at password changes.
   */
  public Future<Void> cleared(UUID appId, Identity identity, UUID userId) {
    return store.clearIdentity(appId, names.identityName(appId, identity), userId);
  }

  public static ApiException invalidCredentials() {
    return new ApiException(ErrorCode.INVALID_CREDENTIALS, "the identity or the password is wrong");
  }

  private String identityName(Attempt attempt) {
    return names.identityName(attempt.appId(), attempt.identity());
  }

  private String networkName(Attempt attempt) {
    return attempt.network() == null ? null : names.networkName(attempt.appId(), attempt.network());
  }
}
