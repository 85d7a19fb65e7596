package dev.portcullis.user;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Reads an access token's claims without verifying it (tests that verify use nimbus-jose-jwt). */
final class TokenClaims {

  private TokenClaims() {
  }

  static JsonObject of(String jwt) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
  }

  static String sid(String jwt) {
    return of(jwt).getString("sid");
  }
}
