package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("OTP rate limits and lockouts")
class OtpRateLimitTest {

  private static final int PER_IP = 3;
  private static final int PER_APP = 5;
  private static final JsonObject NO_COOLDOWN = new JsonObject().put("otp_resend_cooldown", 0);

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .webhook()
      .config(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IP, PER_IP)
      .config(GatewayConfig.OTP_SENDS_PER_HOUR_PER_APP, PER_APP)
      .auditTap();

  // Set by env before any test of the class runs.
  private static WebhookReceiver receiver;
  private static TestGateway gateway;
  private static AuditTap audit;

  @Test
  @DisplayName("a second code for an email within the cooldown is 429 rate_limited with Retry-After, whatever its case or spaces")
  void cooldown() {
    OtpClient client = OtpClient.forNewApp(gateway, "rl-cooldown", new JsonObject());
    assertEquals(200, client.send("email", "Erin@Example.com").status());
    ApiResponse again = client.send("email", "  ERIN@example.COM");
    assertRateLimited(again, 1, 30);
    assertTrue(again.json().getString("message").startsWith("email"), again.body());
    assertTrue(gateway.management().get("/metrics").body()
        .contains("portcullis_otp_rate_limited_total{reason=\"cooldown\"}"), "refusals are counted by reason");
    Await.until("the rate_limited event", Duration.ofSeconds(5), () -> audit.events(AuditEvent.RATE_LIMITED).stream()
        .anyMatch(event -> client.appId().equals(event.getString("app_id"))
            && "cooldown".equals(event.getJsonObject("data").getString("reason"))));
  }

  @Test
  @DisplayName("re-formatted phone numbers share one hourly limit per identity")
  void hourlyPerIdentity() {
    OtpClient client = OtpClient.forNewApp(gateway, "rl-identity", NO_COOLDOWN.copy().put("otp_max_sends_per_hour", 3));
    for (String spelling : List.of("+62-89123456678", "+62 891 2345 6678", "(+62) 891-2345-6678")) {
      assertEquals(200, client.send("phone", spelling).status(), spelling);
    }
    ApiResponse refused = client.send("phone", "+6289123456678");
    assertRateLimited(refused, 3_500, 3_600);
    assertTrue(refused.json().getString("message").startsWith("phone"), refused.body());
    assertEquals(200, client.send("phone", "+14155552671").status(), "another number has its own limit");
  }

  @Test
  @DisplayName("sends per hour from one client IP are limited across identities, IPv4-mapped spellings included")
  void hourlyPerClientIp() {
    OtpClient client = OtpClient.forNewApp(gateway, "rl-ip", NO_COOLDOWN);
    for (int i = 0; i < PER_IP; i++) {
      assertEquals(200, client.send("email", "ip" + i + "@example.com", "203.0.113.7").status());
    }
    ApiResponse refused = client.send("email", "ip-next@example.com", "::ffff:203.0.113.7");
    assertRateLimited(refused, 3_500, 3_600);
    assertTrue(refused.json().getString("message").startsWith("client_ip"), refused.body());
    assertEquals(200, client.send("email", "ip-next@example.com", "198.51.100.1").status(), "another IP");
  }

  @Test
  @DisplayName("IPv6 clients are limited by their /64 network")
  void hourlyPerIpv6Network() {
    OtpClient client = OtpClient.forNewApp(gateway, "rl-ipv6", NO_COOLDOWN);
    for (int i = 0; i < PER_IP; i++) {
      assertEquals(200, client.send("email", "v6-" + i + "@example.com", "2001:db8:1:2::" + (i + 1)).status());
    }
    assertRateLimited(client.send("email", "v6-next@example.com", "2001:db8:1:2:ffff::9"), 3_500, 3_600);
  }

  @Test
  @DisplayName("sends per hour per app are limited across identities and IPs")
  void hourlyPerApp() {
    OtpClient client = OtpClient.forNewApp(gateway, "rl-app", NO_COOLDOWN);
    for (int i = 0; i < PER_APP; i++) {
      assertEquals(200, client.send("email", "app" + i + "@example.com").status());
    }
    ApiResponse refused = client.send("email", "app-next@example.com", "192.0.2.99");
    assertRateLimited(refused, 3_500, 3_600);
    OtpClient other = OtpClient.forNewApp(gateway, "rl-app-other", NO_COOLDOWN);
    assertEquals(200, other.send("email", "app-next@example.com").status(), "another app has its own limit");
  }

  @Test
  @DisplayName("limits hold across gateway processes: a second process sees the first one's cooldown")
  void acrossProcesses() {
    OtpClient client = OtpClient.forNewApp(gateway, "rl-processes", new JsonObject());
    try (TestGateway second = gateway.sibling()) {
      assertEquals(200, client.send("email", "frank@example.com").status());
      assertRateLimited(client.on(second.http()).send("email", "Frank@example.com"), 1, 30);
    }
  }

  @Test
  @DisplayName("ten consecutive wrong codes lock the identity out of sends and verifications, the right code included, "
      + "and the next lockout lasts twice as long")
  void lockoutGrows() {
    OtpClient client = OtpClient.forNewApp(gateway, "rl-lockout", NO_COOLDOWN.copy().put("otp_max_attempts", 20));
    String requestId = client.sent("email", "grace@example.com");
    String code = receiver.awaitCode(requestId);
    String wrong = code.equals("000000") ? "111111" : "000000";
    for (int i = 0; i < 10; i++) {
      assertEquals(401, client.verify(requestId, wrong).status());
    }
    assertRateLimited(client.verify(requestId, code), 50, 60);
    assertRateLimited(client.send("email", "grace@example.com"), 50, 60);

    expireLockout(client.appId());
    for (int i = 0; i < 9; i++) {
      assertEquals(401, client.verify(requestId, wrong).status());
    }
    ApiResponse tenth = client.verify(requestId, wrong);
    assertEquals(401, tenth.status(), tenth.body());
    assertEquals(0, tenth.json().getInteger("attempts_left"));
    assertRateLimited(client.send("email", "grace@example.com"), 110, 120);
    assertEquals(200, client.send("email", "someone-else@example.com").status(), "other identities are not locked");
  }

  private static void expireLockout(String appId) {
    String pattern = gateway.redisPrefix() + "otp-id:{" + appId + "}:*";
    var keys = gateway.redis(Command.KEYS, pattern);
    assertEquals(1, keys.size(), "one identity state");
    gateway.redis(Command.HSET, keys.get(0).toString(), "locked_until", "0");
  }

  static void assertRateLimited(ApiResponse response, long minSeconds, long maxSeconds) {
    assertEquals(429, response.status(), response.body());
    assertEquals("rate_limited", response.error());
    long retryAfter = Long.parseLong(response.header("Retry-After"));
    assertEquals(retryAfter, response.json().getLong("retry_after"));
    assertTrue(retryAfter >= minSeconds && retryAfter <= maxSeconds, "retry after " + retryAfter + " s");
  }
}
