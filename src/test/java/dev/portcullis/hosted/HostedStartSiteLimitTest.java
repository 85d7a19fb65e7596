package dev.portcullis.hosted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Hosted flow starts: an IPv6 /48 is limited at all apps together, not only each of its /64s")
class HostedStartSiteLimitTest {

  private static final String CALLBACK = "https://shop.example.com/cb";

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .webhook()
      .config(GatewayConfig.TRUSTED_PROXIES, "127.0.0.0/8");

  private static TestGateway gateway;

  private static ApiResponse start(JsonObject app, String from) {
    return gateway.http().get("/onboarding/" + app.getString("app_id") + "?state=s&callback_url="
        + FormBrowser.encode(CALLBACK), "X-Forwarded-For", from, "Sec-Fetch-Dest", "document");
  }

  @Test
  @DisplayName("once a /48's starts of the minute are spent, its other /64s get the 429 page; another /48 and IPv4 "
      + "do not (each /64 of a /48 could otherwise start 600 flows a minute, each a flow in Redis and an audit row)")
  void siteSpent() {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Site limit").put("slug", "site-limit")
        .put("callback_urls", new JsonArray().add(CALLBACK)));
    assertEquals(200, start(app, "2001:db8:aa:1::5").status());

    String site = Tokens.sha256Hex("20010db800aa::/48");
    gateway.redis(Command.SET, gateway.redisPrefix() + "hosted-starts-site:{" + site + "}",
        FlowStarts.PER_SITE_PER_MINUTE, "PX", 60_000);
    ApiResponse refused = start(app, "2001:db8:aa:2::7");
    assertEquals(429, refused.status(), refused.body());
    assertTrue(Long.parseLong(refused.header("Retry-After")) >= 1);
    assertTrue(refused.body().contains("Too many sign-ins from your network"), refused.body());
    assertEquals(429, start(app, "2001:db8:aa:ffff::1").status(), "any /64 of that /48");

    assertEquals(200, start(app, "2001:db8:ab:1::5").status(), "another /48");
    assertEquals(200, start(app, "198.51.100.9").status(), "IPv4, counted by address only");
  }
}
