package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Logout with a spent refresh token")
class SpentTokenLogoutTest {

  private static TestGateway gateway;
  private static JsonObject app;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start();
    app = gateway.createApp("logout-spent");
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  @DisplayName("is treated as reuse: 401 refresh_token_reused and the whole session is revoked")
  void spentLogoutIsReuse() {
    UUID user = TokenFixture.user(gateway, app.getString("app_id"), "spent-logout@example.com");
    String first = TokenFixture.login(gateway, app.getString("app_id"), user).getString("refresh_token");
    JsonObject rotated = TokenFixture.refresh(gateway.http(), app, first).json();

    ApiResponse logout = TokenFixture.logout(gateway.http(), app, first, false);
    assertEquals(401, logout.status(), logout.body());
    assertEquals("refresh_token_reused", logout.error());
    assertEquals("session_revoked", TokenFixture.me(gateway.http(), rotated.getString("access_token")).error());
    assertEquals(401, TokenFixture.refresh(gateway.http(), app, rotated.getString("refresh_token")).status());
  }
}
