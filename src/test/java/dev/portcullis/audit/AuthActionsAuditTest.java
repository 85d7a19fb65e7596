package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.Issue;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The auth actions the other capabilities already serve, seen from the audit log. */
@DisplayName("The audit log of auth actions")
class AuthActionsAuditTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;

  @Test
  @DisplayName("an app created over HTTP has its app.created event, with the response's request id, once it answered 201")
  void appCreatedIsAudited() {
    ApiResponse created = gateway.http().post("/v1/apps", new JsonObject().put("name", "Audited").put("slug", "audited-app"),
        "Authorization", "Bearer " + TestGateway.ADMIN_KEY, "X-Request-Id", "create-audited-app");
    assertEquals(201, created.status(), created.body());
    UUID appId = UUID.fromString(created.json().getString("app_id"));
    JsonArray events = AuditTrail.list(gateway, appId, "").json().getJsonArray("events");
    assertEquals(1, events.size());
    JsonObject event = events.getJsonObject(0);
    assertEquals(AuditEvent.APP_CREATED, event.getString("type"));
    assertEquals(appId.toString(), event.getString("app_id"));
    assertEquals("create-audited-app", event.getString("request_id"));
    assertEquals("audited-app", event.getJsonObject("data").getString("slug"));
  }

  @Test
  @DisplayName("app creation, login, refresh, reuse detection and logout each leave their event, chained and without a token")
  void tokenLifecycle() throws Exception {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Lifecycle").put("slug", "lifecycle")
        .put("settings", new JsonObject().put("refresh_reuse_grace_seconds", 0)));
    UUID appId = UUID.fromString(app.getString("app_id"));
    UUID user = user(appId);

    JsonObject first = login(appId, user);
    ApiResponse refreshed = post("/auth/refresh", app, "refresh-1", first.getString("refresh_token"));
    assertEquals(200, refreshed.status(), refreshed.body());
    ApiResponse reused = post("/auth/refresh", app, "reuse-1", first.getString("refresh_token"));
    assertEquals("refresh_token_reused", reused.error());
    JsonObject second = login(appId, user);
    ApiResponse logout = post("/auth/logout", app, "logout-1", second.getString("refresh_token"));
    assertEquals(200, logout.status(), logout.body());

    List<JsonObject> events = AuditTrail.rows(gateway, appId);
    assertEquals(List.of(AuditEvent.APP_CREATED, AuditEvent.TOKEN_ISSUED, AuditEvent.TOKEN_REFRESHED,
            AuditEvent.REFRESH_REUSE_DETECTED, AuditEvent.SESSION_REVOKED, AuditEvent.TOKEN_ISSUED,
            AuditEvent.SESSION_REVOKED),
        events.stream().map(event -> event.getString("type")).toList());
    JsonObject refresh = events.get(2);
    assertEquals("refresh-1", refresh.getString("request_id"));
    assertEquals(user.toString(), refresh.getString("user_id"));
    assertEquals("reuse-1", events.get(3).getString("request_id"));
    assertEquals("reuse-1", events.get(4).getString("request_id"));
    assertEquals("logout-1", events.get(6).getString("request_id"));
    assertEquals("203.0.113.7", events.get(1).getString("client_ip"));

    String everything = new JsonArray(events).encode();
    for (String secret : List.of(app.getString("app_secret"), first.getString("refresh_token"),
        first.getString("access_token"), refreshed.json().getString("refresh_token"), second.getString("refresh_token"))) {
      assertFalse(everything.contains(secret), "a secret or token in the audit log");
    }
    assertEquals(true, AuditTrail.verify(gateway, appId).json().getBoolean("ok"));
  }

  private static UUID user(UUID appId) throws Exception {
    UUID id = UUID.randomUUID();
    try (Connection connection = gateway.jdbc();
         PreparedStatement insert = connection.prepareStatement("INSERT INTO users (id, app_id, email) VALUES (?, ?, ?)")) {
      insert.setObject(1, id);
      insert.setObject(2, appId);
      insert.setString(3, id + "@example.com");
      insert.executeUpdate();
    }
    return id;
  }

  /** Logs the user in as OTP verification does: TOKEN_ISSUE over the event bus. */
  private static JsonObject login(UUID appId, UUID user) throws Exception {
    Issue request = Issue.login(appId, user, false, "login-" + UUID.randomUUID(), "203.0.113.7");
    return new Bus(gateway.vertx(), gateway.config()).request(Bus.TOKEN_ISSUE, request).map(Grant::toJson).await(10, TimeUnit.SECONDS);
  }

  private static ApiResponse post(String path, JsonObject app, String requestId, String refreshToken) {
    JsonObject body = new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"))
        .put("refresh_token", refreshToken);
    return gateway.http().post(path, body, "X-Request-Id", requestId);
  }
}
