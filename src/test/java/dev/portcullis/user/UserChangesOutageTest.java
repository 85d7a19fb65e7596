package dev.portcullis.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.audit.AuditTrail;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.Issue;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TcpProxy;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("User changes whose follow-up fails after the commit: Redis down, a session row held locked")
class UserChangesOutageTest {

  private static final String[] ADMIN = {"Authorization", "Bearer " + TestGateway.ADMIN_KEY};

  @Test
  @DisplayName("a change committed in Postgres is audited and answered 200 though the change marker cannot be written")
  void committedChangesAreAuditedAndAnswered() throws Exception {
    try (TcpProxy redis = TcpProxy.start("127.0.0.1", 6379, TestBackends.freePort());
         TestGateway gateway = TestGateway.start(
             new JsonObject().put(GatewayConfig.REDIS_URL, "redis://127.0.0.1:" + redis.port()))) {
      UUID appId = UUID.fromString(gateway.createApp("marker-outage").getString("app_id"));
      ApiResponse created = gateway.http().post("/v1/apps/" + appId + "/users",
          new JsonObject().put("email", "outage@example.com"), ADMIN);
      assertEquals(201, created.status(), created.toString());
      String userId = created.json().getString("id");
      String user = "/v1/apps/" + appId + "/users/" + userId;

      redis.cut();
      ApiResponse granted = gateway.http().put(user + "/roles",
          new JsonObject().put("roles", new JsonArray().add("ADMIN")), ADMIN);
      ApiResponse disabled = gateway.http().patch(user, new JsonObject().put("disabled", true), ADMIN);
      redis.restore();

      assertEquals(200, granted.status(), granted.toString());
      assertEquals(200, disabled.status(), disabled.toString());
      List<String> trail = AuditTrail.types(gateway, appId);
      assertTrue(trail.contains(UserEvents.ROLE_GRANTED), trail.toString());
      assertTrue(trail.contains(UserEvents.USER_DISABLED), trail.toString());
      JsonObject stored = gateway.http().get(user, ADMIN).json();
      assertEquals(new JsonArray().add("ADMIN"), stored.getJsonArray("roles"));
      assertEquals(true, stored.getBoolean("disabled"));
    }
  }

  @Test
  @DisplayName("a disabling whose revocation cannot finish (a session row held locked) answers 503 and leaves the user "
      + "enabled, unreported; the retry disables, ends the sessions and tells the security webhook once")
  void disablingRolledBackWithItsRevocation() throws Exception {
    try (TestGateway gateway = TestGateway.start(new JsonObject().put(GatewayConfig.BACKEND_TIMEOUT_MS, 500))) {
      List<JsonObject> reported = new CopyOnWriteArrayList<>();
      gateway.vertx().eventBus().<JsonObject>consumer(UserApi.SECURITY_EVENTS, message -> reported.add(message.body()));
      UUID appId = UUID.fromString(gateway.createApp("revocation-outage").getString("app_id"));
      ApiResponse created = gateway.http().post("/v1/apps/" + appId + "/users",
          new JsonObject().put("email", "revoked-later@example.com"), ADMIN);
      String userId = created.json().getString("id");
      String accessToken = gateway.vertx().eventBus().<Grant>request(Bus.TOKEN_ISSUE.name(),
              Issue.login(appId, UUID.fromString(userId), false, "test-" + UUID.randomUUID(), "203.0.113.7"))
          .map(reply -> reply.body().toJson().getString("access_token")).await(10, TimeUnit.SECONDS);
      String user = "/v1/apps/" + appId + "/users/" + userId;

      ApiResponse failed;
      try (Connection db = gateway.jdbc(); Statement lock = db.createStatement()) {
        db.setAutoCommit(false);
        lock.execute("SELECT 1 FROM sessions WHERE user_id = '" + userId + "' FOR UPDATE");
        failed = gateway.http().patch(user, new JsonObject().put("disabled", true), ADMIN);
        db.rollback();
      }
      assertEquals(503, failed.status(), "the sessions could not be revoked: " + failed);
      assertEquals(false, gateway.http().get(user, ADMIN).json().getBoolean("disabled"), "rolled back with them");
      assertEquals(200, gateway.http().get("/auth/me", Http.bearer(accessToken)).status());

      ApiResponse retried = gateway.http().patch(user, new JsonObject().put("disabled", true), ADMIN);
      assertEquals(200, retried.status(), retried.toString());
      assertEquals(401, gateway.http().get("/auth/me", Http.bearer(accessToken)).status());
      assertTrue(gateway.management().get("/metrics").body().contains("portcullis_users_disabled_total 1.0"));
      Await.until("user.disabled reported", Duration.ofSeconds(5), () -> disabledReports(reported, userId) == 1);
      assertEquals(1, disabledReports(reported, userId), "reported once: " + reported);
    }
  }

  private static long disabledReports(List<JsonObject> reported, String userId) {
    return reported.stream().filter(event -> "user.disabled".equals(event.getString("type"))
        && userId.equals(event.getString("user_id"))).count();
  }
}
