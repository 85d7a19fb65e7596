package dev.portcullis.hosted;

import dev.portcullis.app.App;
import dev.portcullis.core.messages.OtpMessages;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;

/**
 * The hosted pages' password step, behind one interface: the password capability ({@code password/}) issues its
 * anti-abuse challenges and verifies passwords with its limits and lock-outs. Until it is wired in, {@link #NONE}
 * keeps every flow on codes.
 */
public interface PasswordSignIn {

  /** A login challenge: its token and the proof-of-work difficulty (0: none) the browser's script must meet. */
  record Challenge(String token, int difficulty) {
  }

  /** False while no password verification is wired in: the page then never shows a password step. */
  boolean available();

  /** A login challenge for this identity, from this client (the password API's {@code /auth/challenge}). */
  Future<Challenge> challenge(App app, Identity identity, String clientIp, String requestId);

  /**
   * The user of this identity when the password is right; otherwise a failed Future with the password API's
   * error ({@code invalid_credentials}, {@code rate_limited}...), the same for an unknown identity and a wrong
   * password. {@code powSolution} is what the page's script found, or null.
   */
  Future<OtpMessages.Proven> signIn(App app, Identity identity, String password, Challenge challenge,
                                    String powSolution, String clientIp, String requestId);

  PasswordSignIn NONE = new PasswordSignIn() {
    @Override
    public boolean available() {
      return false;
    }

    @Override
    public Future<Challenge> challenge(App app, Identity identity, String clientIp, String requestId) {
      return Future.failedFuture(new IllegalStateException("no password verification is wired in"));
    }

    @Override
    public Future<OtpMessages.Proven> signIn(App app, Identity identity, String password, Challenge challenge,
                                             String powSolution, String clientIp, String requestId) {
      return Future.failedFuture(new IllegalStateException("no password verification is wired in"));
    }
  };
}
