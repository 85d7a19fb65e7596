package dev.portcullis.testing;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A JWT's claims read without verifying it (tests that verify use nimbus-jose-jwt). */
public final class JwtClaims {

  private JwtClaims() {
  }

  public static JsonObject of(String jwt) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
  }
}
