package dev.portcullis.hosted;

import dev.portcullis.app.App;
import dev.portcullis.core.Bus;
import dev.portcullis.core.messages.OtpMessages;
import dev.portcullis.core.messages.PasswordMessages;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;

/**
 * The password step through the password capability: its login challenges ({@code PASSWORD_CHALLENGE}, purpose
 * {@code login}) and its login checks without a session ({@code PASSWORD_PROVE}): the same Argon2id verification,
 * failure counters, lock-outs and events as {@code POST /auth/login}.
 */
public final class BusPasswords implements PasswordSignIn {

  private final Bus bus;

  public BusPasswords(Bus bus) {
    this.bus = bus;
  }

  @Override
  public boolean available() {
    return true;
  }

  @Override
  public Future<Challenge> challenge(App app, Identity identity, String clientIp, String requestId) {
    return bus.request(Bus.PASSWORD_CHALLENGE, new PasswordMessages.Challenge(app.id(), "login", email(identity),
            phone(identity), requestId, clientIp))
        .map(issued -> new Challenge(issued.challengeToken(), issued.difficulty()));
  }

  @Override
  public Future<OtpMessages.Proven> signIn(App app, Identity identity, String password, Challenge challenge,
                                           String powSolution, String clientIp, String requestId) {
    return bus.request(Bus.PASSWORD_PROVE, new PasswordMessages.Login(app.id(), email(identity), phone(identity),
        password, challenge == null ? null : challenge.token(), powSolution, null, null, null, requestId, clientIp));
  }

  private static String email(Identity identity) {
    return identity.kind() == Identity.Kind.EMAIL ? identity.value() : null;
  }

  private static String phone(Identity identity) {
    return identity.kind() == Identity.Kind.PHONE ? identity.value() : null;
  }
}
