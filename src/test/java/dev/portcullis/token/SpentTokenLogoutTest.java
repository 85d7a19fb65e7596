package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.WebhookReceiver;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Logout with a spent refresh token")
class SpentTokenLogoutTest {

  private static WebhookReceiver receiver;
  private static TestGateway gateway;
  private static JsonObject app;
  private static JsonObject graceApp;

  @BeforeAll
  static void start() {
    receiver = new WebhookReceiver();
    gateway = TestGateway.start(receiver.channels().put(GatewayConfig.SECURITY_WEBHOOK_URL, receiver.url()));
    app = gateway.createApp(new JsonObject().put("name", "Logout spent").put("slug", "logout-spent")
        .put("settings", new JsonObject().put("refresh_reuse_grace_seconds", 0)));
    graceApp = gateway.createApp("logout-grace");
  }

  @AfterAll
  static void stop() {
    gateway.close();
    receiver.close();
  }

  @Test
  @DisplayName("outside the grace is treated as reuse: 401 refresh_token_reused, the session revoked, audited, webhook")
  void spentLogoutIsReuse() {
    UUID user = TokenFixture.user(gateway, app.getString("app_id"), "spent-logout@example.com");
    String first = TokenFixture.login(gateway, app.getString("app_id"), user).getString("refresh_token");
    JsonObject rotated = TokenFixture.refresh(gateway.http(), app, first).json();

    ApiResponse logout = TokenFixture.logout(gateway.http(), app, first, false);
    assertEquals(401, logout.status(), logout.body());
    assertEquals("refresh_token_reused", logout.error());
    assertEquals("session_revoked", TokenFixture.me(gateway.http(), rotated.getString("access_token")).error());
    assertEquals(401, TokenFixture.refresh(gateway.http(), app, rotated.getString("refresh_token")).status());

    String session = TokenFixture.claims(rotated.getString("access_token")).getString("sid");
    Await.until("the reuse and the revocation in the audit chain", Duration.ofSeconds(10), () -> gateway.count(
        "SELECT count(*) FROM audit_events WHERE data->>'session_id' = '" + session + "' AND (type = 'token.reuse_detected' "
            + "OR type = 'session.revoked' AND data->>'reason' = 'refresh_token_reused')") == 2);
    Await.until("refresh_token.reused on the security webhook", Duration.ofSeconds(10), () -> receiver.calls().stream()
        .map(WebhookReceiver.Call::json)
        .anyMatch(event -> "refresh_token.reused".equals(event.getString("type"))
            && session.equals(event.getString("session_id"))));
  }

  @Test
  @DisplayName("spent moments ago by a refresh (the client's own race) ends the session: revoked 1, no reuse alarm")
  void spentWithinTheGraceLogsOut() {
    UUID user = TokenFixture.user(gateway, graceApp.getString("app_id"), "grace-logout@example.com");
    String first = TokenFixture.login(gateway, graceApp.getString("app_id"), user).getString("refresh_token");
    JsonObject rotated = TokenFixture.refresh(gateway.http(), graceApp, first).json();

    ApiResponse logout = TokenFixture.logout(gateway.http(), graceApp, first, false);
    assertEquals(200, logout.status(), logout.body());
    assertEquals(1, logout.json().getInteger("revoked"));
    assertEquals("session_revoked", TokenFixture.me(gateway.http(), rotated.getString("access_token")).error());
    assertNoReuse(rotated);
  }

  @Test
  @DisplayName("of a session already logged out answers revoked 0, with no reuse alarm")
  void spentOfAnEndedSession() {
    UUID user = TokenFixture.user(gateway, app.getString("app_id"), "ended-logout@example.com");
    String first = TokenFixture.login(gateway, app.getString("app_id"), user).getString("refresh_token");
    JsonObject rotated = TokenFixture.refresh(gateway.http(), app, first).json();
    assertEquals(1, TokenFixture.logout(gateway.http(), app, rotated.getString("refresh_token"), false).json()
        .getInteger("revoked"));

    ApiResponse again = TokenFixture.logout(gateway.http(), app, first, false);
    assertEquals(200, again.status(), again.body());
    assertEquals(0, again.json().getInteger("revoked"));
    assertNoReuse(rotated);
  }

  private static void assertNoReuse(JsonObject tokens) {
    String session = TokenFixture.claims(tokens.getString("access_token")).getString("sid");
    assertEquals(0, gateway.count("SELECT count(*) FROM audit_events WHERE data->>'session_id' = '" + session
        + "' AND type = 'token.reuse_detected'"));
    assertEquals(1, gateway.count("SELECT count(*) FROM audit_events WHERE data->>'session_id' = '" + session
        + "' AND type = 'session.revoked' AND data->>'reason' = 'logout'"));
  }
}
