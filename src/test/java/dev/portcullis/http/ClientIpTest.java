package dev.portcullis.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Client IPs in one form")
class ClientIpTest {

  @Test
  @DisplayName("a client_ip or forwarded address is kept as one canonical address, whichever way it was written")
  void oneFormPerAddress() {
    try (WebhookReceiver inbox = new WebhookReceiver();
         TestGateway gateway = TestGateway.start(inbox.channels()
             .put(GatewayConfig.OWNER_SIGNUP, "open")
             .put(GatewayConfig.TRUSTED_PROXIES, "127.0.0.0/8"));
         AuditTap audit = new AuditTap(gateway)) {
      JsonObject app = gateway.createApp("client-ip");
      List<String> written = List.of("192.000.002.072", "::ffff:192.0.2.72", "0:0:0:0:0:ffff:c000:248",
          "::c000:248", "2001:DB8:0:0:0:0:0:1");
      for (int i = 0; i < written.size(); i++) {
        assertEquals(200, gateway.http().post("/auth/send-otp", new JsonObject().put("app_id", app.getString("app_id"))
            .put("app_secret", app.getString("app_secret")).put("email", "ip" + i + "@example.com")
            .put("client_ip", written.get(i))).status());
      }
      assertEquals(200, gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", "o@example.com"),
          "X-Forwarded-For", "[::ffff:198.51.100.9]").status());
      Await.until("the otp.sent events", Duration.ofSeconds(5), () -> audit.events(AuditEvent.OTP_SENT).size() >= 6);
      assertEquals(List.of("192.0.2.72", "192.0.2.72", "192.0.2.72", "192.0.2.72", "2001:db8::1", "198.51.100.9"),
          audit.events(AuditEvent.OTP_SENT).stream().map(event -> event.getString("client_ip")).toList());
    }
  }
}
