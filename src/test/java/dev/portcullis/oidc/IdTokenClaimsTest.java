package dev.portcullis.oidc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ID token claims")
class IdTokenClaimsTest {

  @Test
  @DisplayName("auth_time stamped by a pod whose clock runs ahead is never after iat (h81: after exp, with 90 s of skew)")
  void authTimeNotAfterIat() {
    long ahead = System.currentTimeMillis() / 1000 + 90;
    JsonObject claims = IdTokenClaims.of("https://id.example.com", UUID.randomUUID(), new JsonObject().put("sub", "u"),
        ahead, "otp", null, 60);
    assertTrue(claims.getLong("auth_time") <= claims.getLong("iat"), claims.encode());
    assertEquals(60, claims.getLong("exp") - claims.getLong("iat"));
    long past = System.currentTimeMillis() / 1000 - 30;
    assertEquals(past, IdTokenClaims.of("https://id.example.com", UUID.randomUUID(), new JsonObject().put("sub", "u"),
        past, "otp", null, 60).getLong("auth_time"), "a sign-in in the past keeps its time");
  }
}
