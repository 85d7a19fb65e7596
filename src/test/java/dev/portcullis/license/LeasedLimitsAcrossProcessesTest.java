package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each event loop takes its counts from Redis in leases: the per-key limit must still hold for the calls of
 * two gateway processes together, and bite early by less than a lease per event loop at most.
 */
@DisplayName("License call limits across gateway processes")
class LeasedLimitsAcrossProcessesTest {

  private static final int PER_KEY = 320;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().sibling()
      .config(LicenseSettings.CALLS_PER_MINUTE_PER_KEY, PER_KEY).config(LicenseSettings.CALLS_PER_MINUTE_PER_IP, 100_000);

  private static TestGateway gateway;
  private static TestGateway sibling;
  private static LicenseFixture licenses;

  @BeforeAll
  static void app() {
    licenses = new LicenseFixture(gateway, gateway.createApp("leased-limits-app"));
  }

  @Test
  @DisplayName("480 concurrent verifies with one key through two processes: at most the limit succeed, and nearly all of it")
  void limitHoldsAcrossProcesses() {
    String key = licenses.license(licenses.policy(1)).getString("key");
    List<CompletableFuture<ApiResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 480; i++) {
      TestGateway through = i % 2 == 0 ? gateway : sibling;
      calls.add(through.http().postAsync("/licenses/verify",
          new JsonObject().put("app_id", licenses.appId()).put("key", key)));
    }
    Map<Integer, Long> statuses = calls.stream().map(CompletableFuture::join)
        .collect(Collectors.groupingBy(ApiResponse::status, Collectors.counting()));
    long admitted = statuses.getOrDefault(200, 0L);
    assertEquals(480, admitted + statuses.getOrDefault(429, 0L), statuses.toString());
    assertTrue(admitted <= PER_KEY, "over the limit: " + statuses);
    // a lease is at most PER_KEY / 32 = 10 counts; each event loop of each process can hold 9 unused ones
    assertTrue(admitted >= PER_KEY - 4 * 9, "too early: " + statuses);
  }
}
