package dev.portcullis.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.audit.AuditTrail;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TcpProxy;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("User changes while Redis is down")
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
}
