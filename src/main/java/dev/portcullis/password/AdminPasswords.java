package dev.portcullis.password;

import dev.portcullis.app.App;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.otp.Identity;
import dev.portcullis.user.PasswordHashing;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * The password of a user an admin creates ({@code POST /v1/apps/{app_id}/users}): the app's policy, then
 * Argon2id on the process's one {@link HashingPool} (so admin calls and logins share its bound).
 */
public final class AdminPasswords implements PasswordHashing {

  private final Argon2id argon2id;
  private final HashingPool pool;

  private AdminPasswords(Argon2id argon2id, HashingPool pool) {
    this.argon2id = argon2id;
    this.pool = pool;
  }

  public static AdminPasswords create(Vertx vertx, GatewayConfig config, MeterRegistry registry) {
    HashingSettings settings = HashingSettings.from(config);
    return new AdminPasswords(settings.argon2id(),
        HashingPool.shared(vertx, settings, registry));
  }

  @Override
  public Future<String> hash(App app, String password, Identity identity) {
    String normalised;
    try {
      normalised = PasswordPolicy.normalise("password", password);
      PasswordPolicy.of(app.settings()).check("password", normalised, identity);
    } catch (ApiException weak) {
      return Future.failedFuture(weak);
    }
    return pool.submit(app.id(), () -> argon2id.hash(normalised));
  }
}
