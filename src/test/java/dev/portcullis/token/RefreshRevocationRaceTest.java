package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A refresh that arrives while an admin's revocation of its session is committing (the session's row locked by the
 * revocation), with no reuse grace: the token was the newest, so this is no reuse.
 */
@DisplayName("A refresh racing its session's revocation")
class RefreshRevocationRaceTest {

  private static WebhookReceiver receiver;
  private static TestGateway gateway;
  private static JsonObject app;

  @BeforeAll
  static void start() {
    receiver = new WebhookReceiver();
    gateway = TestGateway.start(receiver.channels().put(GatewayConfig.SECURITY_WEBHOOK_URL, receiver.url()));
    app = gateway.createApp(new JsonObject().put("name", "Race").put("slug", "refresh-race")
        .put("settings", new JsonObject().put("refresh_reuse_grace_seconds", 0)));
  }

  @AfterAll
  static void stop() {
    gateway.close();
    receiver.close();
  }

  @Test
  @DisplayName("answers session_revoked and leaves the token unspent, with no reuse recorded (h81: "
      + "refresh_token_reused, a token.reuse_detected event and a security webhook call)")
  void refreshDuringRevocation() throws Exception {
    UUID user = TokenFixture.user(gateway, app.getString("app_id"), "race@example.com");
    JsonObject tokens = TokenFixture.login(gateway, app.getString("app_id"), user);
    String session = TokenFixture.claims(tokens.getString("access_token")).getString("sid");
    ApiResponse refreshed;
    try (Connection revoker = gateway.jdbc()) {
      revoker.setAutoCommit(false);
      try (PreparedStatement revoke = revoker.prepareStatement(
          "UPDATE sessions SET revoked_at = now() WHERE id = ?::uuid")) {
        revoke.setString(1, session);
        assertEquals(1, revoke.executeUpdate());
      }
      CompletableFuture<ApiResponse> refresh = gateway.http().postAsync("/auth/refresh",
          TokenFixture.credentials(app).put("refresh_token", tokens.getString("refresh_token")));
      Await.until("the refresh waiting for the session's row", Duration.ofSeconds(10), () -> refresh.isDone()
          || gateway.count("SELECT count(*) FROM pg_stat_activity WHERE "
              + "datname = current_database() AND wait_event_type = 'Lock' "
              + "AND query LIKE '%UPDATE refresh_tokens rt SET spent_at%'") == 1);
      revoker.commit();
      refreshed = refresh.get(10, TimeUnit.SECONDS);
    }
    assertEquals(401, refreshed.status(), refreshed.body());
    assertEquals("session_revoked", refreshed.error());
    assertEquals(0, gateway.count("SELECT count(*) FROM refresh_tokens WHERE session_id = '" + session
        + "' AND spent_at IS NOT NULL"), "the token is left unspent");
    assertEquals(0, gateway.count("SELECT count(*) FROM audit_events WHERE type = 'token.reuse_detected' "
        + "AND data->>'session_id' = '" + session + "'"));
  }
}
