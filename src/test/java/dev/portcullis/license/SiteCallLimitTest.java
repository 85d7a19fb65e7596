package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("License device calls from one IPv6 /48")
class SiteCallLimitTest {

  private static final int PER_IP = 20;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .config(LicenseSettings.CALLS_PER_MINUTE_PER_IP, PER_IP)
      .config(GatewayConfig.TRUSTED_PROXIES, "127.0.0.0/8");

  private static TestGateway gateway;
  private static LicenseFixture licenses;

  @BeforeAll
  static void app() {
    licenses = new LicenseFixture(gateway, gateway.createApp("site-limit-app"));
  }

  @Test
  @DisplayName("random keys from one /64 after another of a /48 stop at five times an address's limit: each had its "
      + "own 600 a minute, so a /48's 65,536 /64s could cost 39 million look-ups and Redis counters a minute")
  void randomKeysFromOneSite() {
    int lookedUp = 0;
    for (int network = 1; network <= 2 * CallLimits.SITE_FACTOR; network++) {
      for (int i = 0; i < PER_IP; i++) {
        ApiResponse response = verify("2001:db8:57:" + network + "::1", UUID.randomUUID().toString());
        if (response.status() == 429) {
          break;
        }
        assertEquals("invalid_license", response.error(), response.body());
        lookedUp++;
      }
    }
    assertTrue(lookedUp <= PER_IP * CallLimits.SITE_FACTOR, lookedUp + " look-ups from one /48");
    assertTrue(lookedUp >= PER_IP * CallLimits.SITE_FACTOR - 2, "the /48 refused early: " + lookedUp);
    ApiResponse refused = verify("2001:db8:57:ffff::9", UUID.randomUUID().toString());
    assertEquals(429, refused.status(), "a /64 of that /48 that made no call yet");
    assertTrue(refused.body().contains("from this network"), refused.body());
    assertTrue(refused.header("Retry-After") != null, "Retry-After");
    assertEquals("invalid_license", verify("2001:db8:58:1::1", UUID.randomUUID().toString()).error(), "another /48");
    assertEquals("invalid_license", verify("198.51.100.57", UUID.randomUUID().toString()).error(), "IPv4");
  }

  private static ApiResponse verify(String caller, String key) {
    return gateway.http().post("/licenses/verify",
        new JsonObject().put("app_id", licenses.appId()).put("key", key).put("fingerprint", "fp"),
        "X-Forwarded-For", caller);
  }
}
