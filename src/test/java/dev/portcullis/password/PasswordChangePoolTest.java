package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A password change on a gateway whose Postgres pool has one connection")
class PasswordChangePoolTest {

  private static final String PASSWORD = "tangerine skyline 42";
  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(new JsonObject().put(GatewayConfig.PG_POOL_SIZE, 1));
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  @DisplayName("holds the user's row on a pool of its own: the token service revokes on the requests' pool, which the "
      + "change's transaction would otherwise hold (every change answered 503 after the backend timeout)")
  void changeDoesNotWaitOnItsOwnConnection() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pool-change", new JsonObject()
        .put("challenge_required", false).put("require_verified_identity", false));
    ApiResponse created = gateway.http().post("/v1/apps/" + client.appId() + "/users",
        new JsonObject().put("email", "one-pool@example.com").put("password", PASSWORD), Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(201, created.status(), created.body());
    String other = login(client);
    String access = login(client);
    ApiResponse changed = client.change(access, PASSWORD, "marmalade orbit 77");
    assertEquals(200, changed.status(), changed.body());
    assertEquals(1, changed.json().getInteger("revoked"));
    assertEquals("session_revoked", gateway.http().get("/auth/me", Http.bearer(other)).error());
  }

  private static String login(PasswordClient client) {
    ApiResponse login = client.post("/auth/login", new JsonObject().put("email", "one-pool@example.com")
        .put("password", PASSWORD));
    assertEquals(200, login.status(), login.body());
    return login.json().getString("access_token");
  }
}
