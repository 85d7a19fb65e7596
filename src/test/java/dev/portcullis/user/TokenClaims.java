package dev.portcullis.user;

import io.vertx.core.json.JsonObject;

/** Reads an access token's claims without verifying it (tests that verify use nimbus-jose-jwt). */
final class TokenClaims {

  private TokenClaims() {
  }

  static JsonObject of(String jwt) {
    return dev.portcullis.testing.JwtClaims.of(jwt);
  }

  static String sid(String jwt) {
    return of(jwt).getString("sid");
  }
}
