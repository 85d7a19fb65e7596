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

  private static VerifiedTokens.Verified verified() {
    return new VerifiedTokens.Verified(
        new AccessTokenVerifier.Claims(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID()), "kid-00000001", 0);
  }
}
