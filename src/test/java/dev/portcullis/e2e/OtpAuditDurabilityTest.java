package dev.portcullis.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditTrail;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("End to end: a 2xx of the OTP API means its audit event is stored")
class OtpAuditDurabilityTest {

  private static final int BURST = 40;

  @Test
  @DisplayName("a gateway stopped in the middle of a burst of send-otp calls has stored the otp.sent row of every 200")
  void everySentCodeIsStored() {
    try (WebhookReceiver receiver = new WebhookReceiver(); TestGateway gateway = TestGateway.start(receiver.channels())) {
      JsonObject app = gateway.createApp("burst-otp");
      List<String> requestIds = IntStream.range(0, BURST).mapToObj(i -> "burst-send-" + i).toList();
      List<CompletableFuture<ApiResponse>> burst = requestIds.stream()
          .map(requestId -> gateway.http().postAsync("/auth/send-otp", new JsonObject()
                  .put("app_id", app.getString("app_id"))
                  .put("app_secret", app.getString("app_secret"))
                  .put("email", requestId + "@example.com"),
              "X-Request-Id", requestId))
          .toList();
      Await.until("the first answer", Duration.ofSeconds(20), () -> burst.stream().anyMatch(CompletableFuture::isDone));
      gateway.stop();

      int acknowledged = 0;
      for (int i = 0; i < BURST; i++) {
        ApiResponse response = burst.get(i).handle((answer, failure) -> answer).join();
        if (response == null || response.status() != 200) {
          continue;
        }
        acknowledged++;
        List<JsonObject> rows = AuditTrail.ofRequest(gateway, requestIds.get(i));
        assertEquals(List.of(AuditEvent.OTP_SENT), rows.stream().map(row -> row.getString("type")).toList(),
            requestIds.get(i));
        assertEquals(app.getString("app_id"), rows.get(0).getString("app_id"));
        assertEquals(response.json().getString("otp_request_id"), rows.get(0).getJsonObject("data").getString("otp_request_id"));
      }
      assertFalse(acknowledged == 0, "no send-otp was answered 200 before the stop");
    }
  }
}
