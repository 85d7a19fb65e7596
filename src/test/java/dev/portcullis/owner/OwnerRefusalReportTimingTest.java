package dev.portcullis.owner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A gateway of its own: the refusal is reported once a minute per network, and this must be the first. */
@DisplayName("A refused owner sign-up's security report")
@RunsAlone
class OwnerRefusalReportTimingTest {

  private static WebhookReceiver inbox;
  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    inbox = new WebhookReceiver();
    gateway = TestGateway.start(inbox.channels().put(GatewayConfig.SECURITY_WEBHOOK_URL, inbox.url()));
  }

  @AfterAll
  static void stop() {
    gateway.close();
    inbox.close();
  }

  @Test
  @DisplayName("starts when an owner's code would be delivered, 0.1 to 0.6 s after the request: its work does not "
      + "slow a stranger's answer, which would tell a refused identity from an owner (h102)")
  void reportedAfterTheAnswer() {
    long asked = System.nanoTime();
    ApiResponse sent = gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", "late@example.com"));
    assertEquals(200, sent.status(), sent.body());
    Await.until("the refusal reported", Duration.ofSeconds(10), () -> inbox.calls().stream()
        .anyMatch(call -> "owner.signup_refused".equals(call.json().getString("type"))));
    long afterMs = (System.nanoTime() - asked) / 1_000_000;
    // Reported at once, the event reached the receiver a few milliseconds after the request, beside its answer.
    assertTrue(afterMs >= 100, "reported " + afterMs + " ms after the request");
  }
}
