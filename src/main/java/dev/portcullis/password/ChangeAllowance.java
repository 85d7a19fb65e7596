package dev.portcullis.password;

import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import dev.portcullis.otp.OtpRefusals;
import io.vertx.core.Future;
import java.util.UUID;

/**
 * The wrong current passwords a session may send to {@code /auth/change-password}. A change takes no challenge, so
 * no proof of work slows its guesses: they are bounded per session, which only the holder of its access token can
 * spend, rather than by the identity's failures, which strangers' wrong logins raise (h41). Each check is reserved
 * before it runs, so concurrent changes check no more than the allowance.
 */
public final class ChangeAllowance {

  /** Wrong current passwords per session and day: typing mistakes, not a guesser with a stolen token. */
  static final int WRONG_PER_SESSION = 10;
  static final long WINDOW_MS = 86_400_000L;

  private final PasswordStore store;
  private final AuditLog audit;
  private final PasswordMetrics metrics;

  public ChangeAllowance(PasswordStore store, AuditLog audit, PasswordMetrics metrics) {
    this.store = store;
    this.audit = audit;
    this.metrics = metrics;
  }

  /**
   * Reserves the check of the current password until it ends ({@link #unchecked} or {@link #cleared}; a wrong one
   * keeps it); {@code 429 rate_limited} once the session has spent its allowance.
   */
  public Future<Void> reserve(LoginFailures.Attempt attempt, UUID sessionId) {
    return store.reserveChange(attempt.appId(), sessionId, WRONG_PER_SESSION, WINDOW_MS).compose(retryAfterMs -> {
      if (retryAfterMs == 0) {
        return Future.succeededFuture();
      }
      metrics.login("locked_out");
      metrics.lockout("session");
      long seconds = OtpRefusals.seconds(retryAfterMs);
      AuditEvent refused = attempt.event(AuditEvent.RATE_LIMITED).with("reason", "password_change_attempts");
      return OtpRefusals.after(audit.record(refused), ApiException.rateLimited(ErrorCode.RATE_LIMITED,
          "current_password: this session has used its " + WRONG_PER_SESSION + " tries of the current password; "
              + "retry in " + seconds + " s, or sign in again (a new session) or reset the password", seconds));
    });
  }

  /** After a reserved check ends in {@code failure}: unless that was a wrong password, its reservation is given back. */
  public void unchecked(LoginFailures.Attempt attempt, UUID sessionId, Throwable failure) {
    if (Failures.toApi(failure).code() != ErrorCode.INVALID_CREDENTIALS) {
      store.releaseChange(attempt.appId(), sessionId);
    }
  }

  /** A right current password: the session's wrong ones are forgotten (best effort: the change goes on). */
  public Future<Void> cleared(LoginFailures.Attempt attempt, UUID sessionId) {
    return store.clearChange(attempt.appId(), sessionId).otherwise((Void) null);
  }
}
