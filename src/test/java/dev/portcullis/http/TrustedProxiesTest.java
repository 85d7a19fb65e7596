package dev.portcullis.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PORTCULLIS_TRUSTED_PROXIES: whose X-Forwarded-For is believed")
class TrustedProxiesTest {

  private static final TrustedProxies LB = TrustedProxies.parse("K", "10.0.0.0/8, 2001:db8::/32, 192.0.2.1");

  @Test
  @DisplayName("behind a trusted proxy the caller is the right-most forwarded address outside the trusted CIDRs")
  void rightMostUntrusted() {
    assertEquals("198.51.100.9", LB.caller("10.1.2.3", List.of("203.0.113.5, 198.51.100.9, 10.9.9.9")));
    assertEquals("198.51.100.9", LB.caller("10.1.2.3", List.of("203.0.113.5", "198.51.100.9")));
    assertEquals("198.51.100.9", LB.caller("192.0.2.1", List.of("198.51.100.9")));
    assertEquals("2001:db9::1", LB.caller("2001:db8::7", List.of("2001:db9::1")));
    assertEquals("10.5.5.5", LB.caller("10.1.2.3", List.of("10.5.5.5, 10.6.6.6")), "all trusted: the left-most");
  }

  @Test
  @DisplayName("from any other peer X-Forwarded-For is ignored: the TCP peer is the caller")
  void untrustedPeer() {
    assertEquals("198.51.100.1", LB.caller("198.51.100.1", List.of("203.0.113.5")));
    assertEquals("192.0.2.2", LB.caller("192.0.2.2", List.of("203.0.113.5")));
    assertEquals("10.1.2.3", LB.caller("10.1.2.3", List.of()));
    assertEquals("127.0.0.1", TrustedProxies.parse("K", null).caller("127.0.0.1", List.of("203.0.113.5")));
  }

  @Test
  @DisplayName("a malformed hop stops the walk: nothing left of it is believed")
  void malformedHop() {
    assertEquals("10.1.2.3", LB.caller("10.1.2.3", List.of("evil")));
    assertEquals("198.51.100.9", LB.caller("10.1.2.3", List.of("1.2.3.4, not-an-ip, 198.51.100.9")));
    // Empty hops are malformed too: a header of commas alone had no hop at all, and the walk failed (h55: a 500)
    assertEquals("10.1.2.3", LB.caller("10.1.2.3", List.of(",")));
    assertEquals("10.1.2.3", LB.caller("10.1.2.3", List.of(",,,", ",,")));
    assertEquals("10.1.2.3", LB.caller("10.1.2.3", List.of("")));
    assertEquals("198.51.100.9", LB.caller("10.1.2.3", List.of("1.2.3.4,,198.51.100.9")));
  }

  @Test
  @DisplayName("a hop written with its port (as some load balancers append it) is its address (h101)")
  void hopWithPort() {
    assertEquals("203.0.113.9", LB.caller("10.1.2.3", List.of("6.6.6.6, 203.0.113.9:5555")));
    assertEquals("2001:db9::5", LB.caller("10.1.2.3", List.of("6.6.6.6, [2001:db9::5]:443")));
    assertEquals("2001:db9::5", LB.caller("10.1.2.3", List.of("6.6.6.6, [2001:db9::5]")));
    assertEquals("198.51.100.9", LB.caller("10.1.2.3", List.of("198.51.100.9, 10.9.9.9:80")), "a trusted hop too");
    assertEquals("2001:db9::1", LB.caller("10.1.2.3", List.of("2001:db9::1")), "a bare IPv6 address keeps its colons");
    assertEquals("10.1.2.3", LB.caller("10.1.2.3", List.of("203.0.113.9:port")), "not a port: garbage");
    assertEquals("10.1.2.3", LB.caller("10.1.2.3", List.of("203.0.113.9:123456")), "not a port: garbage");
    assertEquals("10.1.2.3", LB.caller("10.1.2.3", List.of("[2001:db9::5]x")), "garbage");
  }

  @Test
  @DisplayName("a bad CIDR is refused naming the key")
  void badCidr() {
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
        () -> TrustedProxies.parse(GatewayConfig.TRUSTED_PROXIES, "10.0.0.0/33"));
    assertEquals(true, failure.getMessage().startsWith(GatewayConfig.TRUSTED_PROXIES));
  }

  @Test
  @DisplayName("owner routes rate limit and audit the forwarded caller behind a trusted proxy, the peer otherwise")
  void ownerRoutesUseTheCaller() {
    try (WebhookReceiver inbox = new WebhookReceiver();
         TestGateway trusting = TestGateway.start(inbox.channels()
             .put(GatewayConfig.OWNER_SIGNUP, "open")
             .put(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IP, 2)
             .put(GatewayConfig.TRUSTED_PROXIES, "127.0.0.0/8"));
         AuditTap audit = new AuditTap(trusting)) {
      assertEquals(200, ownerSend(trusting, "a1@example.com", "203.0.113.5, 198.51.100.9").status());
      assertEquals(200, ownerSend(trusting, "a2@example.com", "198.51.100.9").status());
      assertEquals(429, ownerSend(trusting, "a3@example.com", "1.1.1.1, 198.51.100.9").status(), "same caller");
      assertEquals(200, ownerSend(trusting, "a3@example.com", "198.51.100.10").status(), "another caller");
      Await.until("the otp.sent events", Duration.ofSeconds(5), () -> audit.events(AuditEvent.OTP_SENT).size() >= 3);
      assertEquals("198.51.100.9", audit.events(AuditEvent.OTP_SENT).get(0).getString("client_ip"));
    }
    try (WebhookReceiver inbox = new WebhookReceiver();
         TestGateway plain = TestGateway.start(inbox.channels()
             .put(GatewayConfig.OWNER_SIGNUP, "open")
             .put(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IP, 2))) {
      assertEquals(200, ownerSend(plain, "b1@example.com", "198.51.100.1").status());
      assertEquals(200, ownerSend(plain, "b2@example.com", "198.51.100.2").status());
      assertEquals(429, ownerSend(plain, "b3@example.com", "198.51.100.3").status(), "a forged header changes nothing");
    }
  }

  private static ApiResponse ownerSend(TestGateway gateway, String email, String forwardedFor) {
    return gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", email),
        "X-Forwarded-For", forwardedFor);
  }
}
