package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Verified-token memory of one verticle")
class VerifiedTokensTest {

  @Test
  @DisplayName("keeps at most its bound, dropping the token used least recently")
  void boundedLeastRecentlyUsed() {
    VerifiedTokens tokens = new VerifiedTokens(2);
    tokens.put("a", verified());
    tokens.put("b", verified());
    assertNotNull(tokens.get("a"));
    tokens.put("c", verified());
    assertEquals(2, tokens.size());
    assertNull(tokens.get("b"), "b was used least recently");
    assertNotNull(tokens.get("a"));
    assertNotNull(tokens.get("c"));
    tokens.forget("a");
    assertNull(tokens.get("a"));
  }

  @Test
  @DisplayName("drops expired tokens as new ones arrive, long before its bound")
  void expiredTokensGo() {
    VerifiedTokens tokens = new VerifiedTokens(1_000);
    long now = System.currentTimeMillis() / 1000;
    for (int i = 0; i < 100; i++) {
      tokens.put("expired-" + i, verified(now - 1));
    }
    for (int i = 0; i < 100; i++) {
      tokens.put("live-" + i, verified(now + 900));
    }
    assertEquals(100, tokens.size(), "only the live tokens are left");
    assertNotNull(tokens.get("live-0"));
    assertNull(tokens.get("expired-99"));
  }

  private static VerifiedTokens.Verified verified() {
    return verified(System.currentTimeMillis() / 1000 + 900);
  }

  private static VerifiedTokens.Verified verified(long expiresAtEpochSecond) {
    return new VerifiedTokens.Verified(
        new AccessTokenVerifier.Claims(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID()), "kid-00000001",
        expiresAtEpochSecond);
  }
}
