package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One event loop serves the API here, so concurrent requests meet on it. */
@DisplayName("Audit chain verifications at once")
class AuditVerifyConcurrencyTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().config(GatewayConfig.HTTP_INSTANCES, 1);

  // Set by env before any test of the class runs.
  private static TestGateway gateway;

  @Test
  @DisplayName("a verification asked while another runs on the same event loop is 429 rate_limited with Retry-After "
      + "(an owner's loop of them took the database and CPU from every app's sign-ins); once it ends, the next runs")
  void oneAtATimePerEventLoop() {
    UUID app = UUID.randomUUID();
    for (int batch = 0; batch < 30; batch++) {
      int from = batch * 100;
      AuditTrail.record(gateway, IntStream.range(from, from + 100)
          .mapToObj(i -> AuditEvent.of(AuditEvent.TOKEN_REFRESHED, app, "req-" + i, "198.51.100.1").with("n", i))
          .toArray(AuditEvent[]::new));
    }
    List<CompletableFuture<ApiResponse>> together = IntStream.range(0, 4)
        .mapToObj(i -> gateway.http().sendAsync("GET", "/v1/apps/" + app + "/audit/verify", null,
            Http.bearer(TestGateway.ADMIN_KEY)))
        .toList();
    List<ApiResponse> answers = together.stream().map(CompletableFuture::join).toList();
    assertEquals(1, answers.stream().filter(answer -> answer.status() == 200).count(), answers.toString());
    for (ApiResponse refused : answers.stream().filter(answer -> answer.status() != 200).toList()) {
      assertEquals(429, refused.status(), refused.body());
      assertEquals("rate_limited", refused.error());
      assertEquals("1", refused.header("Retry-After"));
    }
    ApiResponse next = AuditTrail.verify(gateway, app);
    assertEquals(200, next.status(), next.body());
    assertTrue(next.json().getBoolean("ok"), next.body());
  }
}
