package dev.portcullis.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Admission control (PORTCULLIS_HTTP_MAX_IN_FLIGHT)")
class AdmissionControlTest {

  @Test
  @DisplayName("beyond the in-flight limit a request is answered 503 unavailable with Retry-After at once, and counted")
  void refusesBeyondTheLimit() {
    try (TestGateway gateway = TestGateway.start(new JsonObject()
        .put(GatewayConfig.HTTP_INSTANCES, 1)
        .put(GatewayConfig.HTTP_MAX_IN_FLIGHT, 1))) {
      JsonObject app = gateway.createApp("admission");
      JsonObject credentials = new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"));
      ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
          new ch.qos.logback.core.read.ListAppender<>();
      lines.start();
      ch.qos.logback.classic.Logger responder = (ch.qos.logback.classic.Logger)
          org.slf4j.LoggerFactory.getLogger(ErrorResponder.class);
      responder.addAppender(lines);
      List<CompletableFuture<ApiResponse>> calls = IntStream.range(0, 30)
          .mapToObj(i -> gateway.http().postAsync("/auth/send-otp", credentials.copy().put("email", "burst-" + i + "@example.com")))
          .toList();
      List<ApiResponse> answers = calls.stream().map(CompletableFuture::join).toList();
      responder.detachAppender(lines);
      assertTrue(lines.list.stream().noneMatch(line -> line.getFormattedMessage().contains("at capacity")),
          "refusals are counted, not logged one by one (a line each under overload adds to it): " + lines.list);

      List<ApiResponse> refused = answers.stream()
          .filter(answer -> answer.status() == 503 && answer.json().getString("message").contains("at capacity"))
          .toList();
      assertTrue(!refused.isEmpty(), "30 concurrent requests against a limit of 1 refuse some");
      assertTrue(answers.stream().anyMatch(answer -> answer.status() == 200), "and admit others");
      for (ApiResponse answer : refused) {
        assertEquals("unavailable", answer.error(), answer.body());
        assertEquals("1", answer.header("Retry-After"));
        assertEquals(1, answer.json().getInteger("retry_after"));
      }
      String metrics = gateway.management().get("/metrics").body();
      assertTrue(metrics.contains("portcullis_http_admission_rejected_total " + (double) refused.size()),
          "every refusal is counted: " + refused.size());
    }
  }

  @Test
  @DisplayName("a hosted page refused at capacity is an HTML page with Retry-After, not a JSON body (browser probe)")
  void hostedRefusalIsAPage() {
    try (TestGateway gateway = TestGateway.start(new JsonObject()
        .put(GatewayConfig.HTTP_INSTANCES, 1)
        .put(GatewayConfig.HTTP_MAX_IN_FLIGHT, 1))) {
      JsonObject app = gateway.createApp("admission-page");
      String onboarding = "/onboarding/" + app.getString("app_id") + "?state=s&callback_url=https%3A%2F%2Fx.example%2Fcb";
      // Bursts of page loads against a limit of one, until one of them is refused.
      ApiResponse[] refused = new ApiResponse[1];
      dev.portcullis.testing.Await.until("a page refused at capacity", java.time.Duration.ofSeconds(20), () -> {
        refused[0] = IntStream.range(0, 30)
            .mapToObj(i -> gateway.http().sendAsync("GET", onboarding, null))
            .toList().stream()
            .map(CompletableFuture::join)
            .filter(answer -> answer.status() == 503)
            .findFirst().orElse(null);
        return refused[0] != null;
      });
      assertTrue(refused[0].header("Content-Type").startsWith("text/html"), refused[0].toString());
      assertEquals("1", refused[0].header("Retry-After"));
      assertTrue(refused[0].header("Content-Security-Policy").contains("frame-ancestors 'none'"), refused[0].toString());
    }
  }
}
