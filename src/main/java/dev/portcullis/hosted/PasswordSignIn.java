package dev.portcullis.hosted;

import dev.portcullis.app.App;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;
import dev.portcullis.core.messages.OtpMessages;

/**
 * The hosted pages' password step, behind one interface: the password capability ({@code password/}) verifies
 * passwords with its limits and lock-outs. Until it is wired in, {@link #NONE} keeps every flow on codes.
 */
public interface PasswordSignIn {

  /** False while no password verification is wired in: the page then never shows a password step. */
  boolean available();

  /**
   * The user of this identity when the password is right; otherwise a failed
   * Future with the password API's error ({@code invalid_credentials}, {@code rate_limited}...), the same for an
   * unknown identity and a wrong password.
   */
  Future<OtpMessages.Proven> signIn(App app, Identity identity, String password, String clientIp, String requestId);

  PasswordSignIn NONE = new PasswordSignIn() {
    @Override
    public boolean available() {
      return false;
    }

    @Override
    public Future<OtpMessages.Proven> signIn(App app, Identity identity, String password, String clientIp, String requestId) {
      return Future.failedFuture(new IllegalStateException("no password verification is wired in"));
    }
  };
}
