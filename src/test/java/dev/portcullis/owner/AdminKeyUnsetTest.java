package dev.portcullis.owner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("With PORTCULLIS_ADMIN_KEY unset")
class AdminKeyUnsetTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .webhook()
      .config(SignIns.LIMITS)
      .config(GatewayConfig.ADMIN_KEY, null);

  // Set by env before any test of the class runs.
  private static WebhookReceiver inbox;
  private static TestGateway gateway;

  @Test
  @DisplayName("no bearer is the admin key, not even the one other gateways use: 401 invalid_token")
  void noAdminKey() {
    ApiResponse response = gateway.http().get("/v1/apps", Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(401, response.status(), response.body());
    assertEquals("invalid_token", response.error());
  }

  @Test
  @DisplayName("owners still sign in and manage their apps")
  void ownersStillWork() {
    JsonObject owner = SignIns.owner(gateway, inbox, "solo@example.com");
    String[] bearer = Http.bearer(owner.getString("access_token"));
    ApiResponse created = gateway.http().post("/v1/apps", new JsonObject().put("name", "Solo").put("slug", "solo-app"), bearer);
    assertEquals(201, created.status(), created.body());
    assertEquals(1, gateway.http().get("/v1/apps", bearer).json().getJsonArray("apps").size());
  }
}
