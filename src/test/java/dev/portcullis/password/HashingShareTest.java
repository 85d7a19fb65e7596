package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("The password hashing pool, shared by apps")
class HashingShareTest {

  /** One slow hashing thread and room for three waiting: four hashes at once, two per app. */
  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .config(HashingSettings.THREADS, 1)
      .config(HashingSettings.QUEUE_PER_THREAD, 3)
      .config(HashingSettings.MEMORY_KIB, 65_536);

  static TestGateway gateway;

  @Test
  @DisplayName("one app's flood of wrong passwords holds half the pool: another app's logins are still checked, "
      + "not 503 (the flood took all of it)")
  void oneAppLeavesTheOtherHalf() {
    JsonObject open = new JsonObject().put("challenge_required", false).put("password_max_failures", 100);
    PasswordClient noisy = PasswordClient.forNewApp(gateway, "hash-share-noisy", open);
    PasswordClient quiet = PasswordClient.forNewApp(gateway, "hash-share-quiet", open);
    List<CompletableFuture<ApiResponse>> flood = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      flood.add(noisy.postAsync("/auth/login", new JsonObject().put("email", "flood" + i + "@example.com")
          .put("password", "not the password").put("client_ip", "198.51.100." + (i + 1))));
    }
    Await.until("the flood's hashes to be in flight", Duration.ofSeconds(10), () -> inFlight() >= 2);
    List<CompletableFuture<ApiResponse>> logins = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      logins.add(quiet.postAsync("/auth/login", new JsonObject().put("email", "quiet" + i + "@example.com")
          .put("password", "not the password").put("client_ip", "203.0.113." + (i + 1))));
    }
    for (CompletableFuture<ApiResponse> login : logins) {
      ApiResponse answer = login.join();
      assertEquals("invalid_credentials", answer.error(), "checked, not refused: " + answer.body());
    }
    List<ApiResponse> flooded = flood.stream().map(CompletableFuture::join).toList();
    assertTrue(flooded.stream().filter(answer -> answer.status() == 503).count() >= 6,
        "the flood gets two hashes at once: " + flooded);
  }

  private static double inFlight() {
    return gateway.management().get("/metrics").body().lines()
        .filter(line -> line.startsWith("portcullis_password_hash_in_flight "))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }
}
