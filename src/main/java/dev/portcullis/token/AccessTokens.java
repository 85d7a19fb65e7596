package dev.portcullis.token;

import dev.portcullis.app.App;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** Signs RFC 9068 access tokens with the app's current key. */
final class AccessTokens {

  private final String issuer;
  private final SigningKeys keys;
  private final TokenMetrics metrics;

  AccessTokens(String issuer, SigningKeys keys, TokenMetrics metrics) {
    this.issuer = issuer;
    this.keys = keys;
    this.metrics = metrics;
  }

  /** extraClaims: what the session adds (did and ent of a device-bound session); never a secret. */
  Future<String> issue(App app, UUID userId, UUID sessionId, JsonObject extraClaims) {
    return keys.current(app.id()).map(signer -> {
      long now = System.currentTimeMillis() / 1000;
      JsonObject claims = new JsonObject()
          .put("iss", issuer)
          .put("sub", userId.toString())
          .put("aud", app.slug())
          .put("iat", now)
          .put("exp", now + app.settings().accessTokenTtl())
          .put("jti", UUID.randomUUID().toString())
          .put("sid", sessionId.toString())
          .put("app_id", app.id().toString())
          .mergeIn(extraClaims);
      long started = System.nanoTime();
      String token = signer.sign(claims);
      metrics.signed(started);
      return token;
    });
  }
}
