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
 * The wrong current passwords {@code /auth/change-password} may be sent with. A change takes no challenge, so no
 * proof of work slows its guesses: they are bounded per session, and per user across its sessions, which only the
 * holders of access tokens can spend, rather than by the identity's failures, which strangers' wrong logins raise
 * (h41). Each check is reserved before it runs, so concurrent changes check no more than the bounds.
 */
public final class ChangeAllowance {

  /** Wrong current passwords per session and day: typing mistakes, not a guesser with a stolen token. */
  static final int WRONG_PER_SESSION = 10;
  /**
   * Wrong current passwords in a row per user, across sessions and days (NIST SP 800-63B's 100): a stolen session
   * that lives for weeks would otherwise have a day's allowance again every day (h46). A reset clears it.
   */
  static final int WRONG_PER_USER = Difficulty.CONSECUTIVE_CEILING;
  static final PasswordStore.ChangeLimits LIMITS = new PasswordStore.ChangeLimits(WRONG_PER_SESSION, 86_400_000L,
      WRONG_PER_USER, 366 * 86_400_000L);

  private final PasswordStore store;
  private final AuditLog audit;
  private final PasswordMetrics metrics;

  public ChangeAllowance(PasswordStore store, AuditLog audit, PasswordMetrics metrics) {
    this.store = store;
    this.audit = audit;
    this.metrics = metrics;
  }

  /** A reserved check of a session's current password, until it {@link #ended} or was {@link #cleared}. */
  public final class Reservation {
    private final LoginFailures.Attempt attempt;
    private final UUID sessionId;
    private final String id = UUID.randomUUID().toString();

    private Reservation(LoginFailures.Attempt attempt, UUID sessionId) {
      this.attempt = attempt;
      this.sessionId = sessionId;
    }

    /** The check ended in {@code failure}: a wrong password is counted, anything else given back. */
    public void ended(Throwable failure) {
      boolean wrong = Failures.toApi(failure).code() == ErrorCode.INVALID_CREDENTIALS;
      store.settleChange(attempt.appId(), sessionId, attempt.userId(), id, wrong, LIMITS);
    }

    /** A right current password: the session's and the user's wrong ones are forgotten (best effort). */
    public Future<Void> cleared() {
      return store.clearChange(attempt.appId(), sessionId, attempt.userId()).otherwise((Void) null);
    }
  }

  /**
   * Reserves the check of the current password; {@code 429 rate_limited} once the user or the session has spent its
   * wrong ones, or while checks in flight would.
   */
  public Future<Reservation> reserve(LoginFailures.Attempt attempt, UUID sessionId) {
    Reservation reservation = new Reservation(attempt, sessionId);
    return store.reserveChange(attempt.appId(), sessionId, attempt.userId(), reservation.id, LIMITS).compose(gate -> {
      if (gate.open()) {
        return Future.succeededFuture(reservation);
      }
      long seconds = OtpRefusals.seconds(gate.retryAfterMs());
      String reason;
      String message;
      switch (gate.refusedFor()) {
        case "busy" -> {
          metrics.login("in_flight");
          reason = "password_in_flight";
          message = "current_password: other checks of it are under way; retry in " + seconds + " s";
        }
        case "ceiling" -> {
          metrics.login("locked_out");
          metrics.lockout("user");
          reason = "password_change_ceiling";
          message = "current_password: " + WRONG_PER_USER + " wrong ones in a row across this user's sessions; "
              + "reset the password";
        }
        default -> {
          metrics.login("locked_out");
          metrics.lockout("session");
          reason = "password_change_attempts";
          message = "current_password: this session has used its " + WRONG_PER_SESSION + " tries; retry in "
              + seconds + " s, or sign in again (a new session) or reset the password";
        }
      }
      AuditEvent refused = attempt.event(AuditEvent.RATE_LIMITED).with("reason", reason);
      return OtpRefusals.after(audit.record(refused), ApiException.rateLimited(ErrorCode.RATE_LIMITED, message,
          seconds));
    });
  }
}
