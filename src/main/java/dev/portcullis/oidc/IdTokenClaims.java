package dev.portcullis.oidc;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** The claims of an ID token (OpenID Connect Core §2): who signed in, for which client, when and how. */
final class IdTokenClaims {

  private IdTokenClaims() {
  }

  /**
   * @param userClaims {@code sub} and the granted scopes' claims
   * @param nonce      the authentication request's nonce, or null (never on a refresh)
   */
  static JsonObject of(String issuer, UUID appId, JsonObject userClaims, long authTime, String amr, String nonce,
                       int lifetimeSeconds) {
    long now = System.currentTimeMillis() / 1000;
    JsonObject claims = userClaims.copy()
        .put("iss", issuer)
        .put("aud", appId.toString())
        .put("azp", appId.toString())
        .put("iat", now)
        .put("exp", now + lifetimeSeconds)
        // Stamped by the pod that finished the sign-in: one whose clock ran ahead would put it after iat, even exp.
        .put("auth_time", Math.min(authTime, now))
        .put("amr", new JsonArray().add(amr));
    if (nonce != null) {
      claims.put("nonce", nonce);
    }
    return claims;
  }
}
