package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Tokens naming made-up kids count against their address's limit of anonymous failures")
class MadeUpKidLimitTest {

  private static final int LIMIT = 20;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .webhook()
      .config(SignIns.LIMITS)
      .config(GatewayConfig.CLIENT_FAILURES_PER_MINUTE_PER_IP, LIMIT)
      .config(GatewayConfig.HTTP_INSTANCES, 2)
      .config(GatewayConfig.TRUSTED_PROXIES, "127.0.0.0/8");

  private static TestGateway gateway;
  private static WebhookReceiver inbox;

  private static ApiResponse bearer(String path, String token, String from) {
    return gateway.http().get(path, "Authorization", "Bearer " + token, "X-Forwarded-For", from);
  }

  @Test
  @DisplayName("/auth/me, userinfo and the console: beyond the limit, 429 before any look-up, while kids that named a "
      + "key still verify (a look-up of the signing keys per made-up kid, without a limit)")
  void madeUpKidsCutOff() {
    Await.until("ten seconds left in the minute", Duration.ofSeconds(65),
        () -> System.currentTimeMillis() % 60_000 < 50_000);
    JsonObject app = gateway.createApp("made-up-kids");
    String token = SignIns.user(gateway, inbox, app, "kids@example.com").getString("access_token");
    String flooder = "198.51.100.70";
    assertEquals(200, bearer("/auth/me", token, flooder).status());

    // One path per way a token is verified: the HTTP verticle itself, and the token verticle over the bus.
    List<String> paths = List.of("/auth/me", "/oidc/" + app.getString("app_id") + "/userinfo", "/v1/apps");
    int lookedUp = 0;
    ApiResponse last = null;
    for (int i = 0; i < 3 * LIMIT; i++) {
      last = bearer(paths.get(i % paths.size()), UnseenKidLookupTest.madeUpToken(), flooder);
      if (last.status() != 429) {
        assertEquals(401, last.status(), last.body());
        lookedUp++;
      }
    }
    assertEquals(429, last.status(), last.body());
    assertEquals("rate_limited", last.error());
    assertTrue(Long.parseLong(last.header("Retry-After")) >= 1);
    // Each miss is counted once its look-up answered, beside the answer: a request or two may pass meanwhile.
    assertTrue(lookedUp <= LIMIT + 3, lookedUp + " made-up kids looked up before the cut-off");
    for (String path : paths) {
      assertEquals(429, bearer(path, UnseenKidLookupTest.madeUpToken(), flooder).status(), path);
    }

    assertEquals(200, bearer("/auth/me", token, flooder).status(), "a kid that named a key still verifies");
    assertEquals(401, bearer("/auth/me", UnseenKidLookupTest.madeUpToken(), "198.51.100.71").status(),
        "another address is looked up");
  }
}
