package dev.portcullis.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.hosted.HostedFixture;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("PORTCULLIS_CONVERSATIONS_PER_HOUR_PER_APP: one app's backend cannot fill the shared database")
class ConversationLimitTest {

  private static final int PER_HOUR = 3;
  private static final String RETURN = "https://shop.example.com/return";

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .config(GatewayConfig.CONVERSATIONS_PER_HOUR_PER_APP, PER_HOUR);

  private static TestGateway gateway;

  private static ApiResponse create(JsonObject app) {
    return gateway.http().send("POST", "/api/conversations", new JsonObject().put("userKey", "uk")
            .put("returnUrl", RETURN).put("query", new JsonObject()).encode(),
        "Content-Type", "application/json", "Authorization", HostedFixture.basic(app));
  }

  @Test
  @DisplayName("beyond the hourly limit an app's creation is 429 rate_limited with Retry-After, and no row is "
      + "stored; another app creates as before (h84: 1,500 at 150/s, 30 days kept)")
  void creationsPerApp() {
    JsonObject busy = gateway.createApp(new JsonObject().put("name", "Busy").put("slug", "convo-busy")
        .put("callback_urls", List.of(RETURN)));
    JsonObject other = gateway.createApp(new JsonObject().put("name", "Other").put("slug", "convo-other")
        .put("callback_urls", List.of(RETURN)));
    for (int i = 0; i < PER_HOUR; i++) {
      assertEquals(201, create(busy).status());
    }
    ApiResponse refused = create(busy);
    assertEquals(429, refused.status(), refused.body());
    assertEquals("rate_limited", refused.error());
    long retryAfter = Long.parseLong(refused.header("Retry-After"));
    assertTrue(retryAfter > 3_000 && retryAfter <= 3_600, "until the hour ends: " + retryAfter);
    assertEquals(PER_HOUR, gateway.count("SELECT count(*) FROM conversations WHERE app_id = '"
        + busy.getString("app_id") + "'"));
    assertEquals(201, create(other).status());
  }
}
