package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("OTP delivery by webhook")
class OtpDeliveryTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().auditTap();

  // Set by env before any test of the class runs.
  private static WebhookReceiver receiver;
  private static TestGateway gateway;
  private static AuditTap audit;
  private static OtpClient client;

  @BeforeAll
  static void start() {
    client = OtpClient.forNewApp(gateway, "delivery", new JsonObject().put("otp_resend_cooldown", 0));
  }

  @AfterEach
  void answerNormally() {
    receiver.answer(() -> 200);
  }

  @Test
  @DisplayName("send-otp is answered while the provider is still busy with the message")
  void sendDoesNotWaitForProvider() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    receiver.answer(() -> {
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 200;
    });
    try {
      ApiResponse response = client.send("email", "slow-provider@example.com");
      assertEquals(200, response.status(), response.body());
      assertEquals(1, release.getCount(), "answered before the provider answered");
      receiver.awaitCall(response.json().getString("otp_request_id"));
    } finally {
      release.countDown();
    }
  }

  @Test
  @DisplayName("a failing provider is retried with backoff, with the same signed message each time")
  void retriedUntilAccepted() throws Exception {
    AtomicInteger answered = new AtomicInteger();
    List<Integer> answers = List.of(500, 503, 200);
    receiver.answer(() -> answers.get(Math.min(answered.getAndIncrement(), answers.size() - 1)));
    String requestId = client.sent("phone", "+14155552671");
    Await.until("three delivery attempts", Duration.ofSeconds(10), () -> receiver.callsFor(requestId).size() == 3);
    List<WebhookReceiver.Call> calls = receiver.callsFor(requestId);
    for (WebhookReceiver.Call call : calls) {
      assertTrue(Arrays.equals(calls.get(0).body(), call.body()), "same body");
      assertEquals("sha256=" + OtpSendTest.hmacHex(WebhookReceiver.SECRET, call.body()), call.signature());
    }
    assertTrue(audit.events(AuditEvent.OTP_DELIVERY_FAILED, requestId).isEmpty(), "not a failure in the end");
  }

  @Test
  @DisplayName("a provider that keeps failing gets four attempts, then the failure is counted and audited")
  void givenUpAfterBoundedRetries() {
    String series = "portcullis_otp_delivery_failures_total{channel=\"email\",transport=\"webhook\"}";
    // There from the start, at 0 on a fresh gateway: an alert's rate() counts the first failure (h88).
    assertTrue(gateway.management().get("/metrics").body().contains(series + " "), "registered before any failure");
    double before = dev.portcullis.testing.PrometheusText.counter(gateway, series);
    receiver.answer(() -> 500);
    String requestId = client.sent("email", "down-provider@example.com");
    Await.until("the delivery failure event", Duration.ofSeconds(15),
        () -> !audit.events(AuditEvent.OTP_DELIVERY_FAILED, requestId).isEmpty());
    assertEquals(1 + OtpDelivery.RETRIES, receiver.callsFor(requestId).size());
    JsonObject data = audit.events(AuditEvent.OTP_DELIVERY_FAILED, requestId).get(0).getJsonObject("data");
    assertEquals("email", data.getString("channel"));
    assertEquals("webhook", data.getString("transport"));
    assertEquals("d***@example.com", data.getString("to"));
    assertEquals(before + 1, dev.portcullis.testing.PrometheusText.counter(gateway, series), "failures are counted");
  }

  @Test
  @DisplayName("a provider that refuses the message outright (400) is not retried")
  void permanentFailureNotRetried() {
    receiver.answer(() -> 400);
    String requestId = client.sent("email", "refused@example.com");
    Await.until("the delivery failure event", Duration.ofSeconds(10),
        () -> !audit.events(AuditEvent.OTP_DELIVERY_FAILED, requestId).isEmpty());
    assertEquals(1, receiver.callsFor(requestId).size());
  }
}
