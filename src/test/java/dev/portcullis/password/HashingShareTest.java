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

  /**
   * One slow hashing thread and room for seven waiting: eight hashes at once, the last two for apps holding at most
   * two. Floods of several apps: {@link HashingReserveTest}, where which app holds what is exact.
   */
  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .config(HashingSettings.THREADS, 1)
      .config(HashingSettings.QUEUE_PER_THREAD, 7)
      .config(HashingSettings.MEMORY_KIB, 65_536);

  private static final JsonObject OPEN = new JsonObject().put("challenge_required", false)
      .put("password_max_failures", 100);

  static TestGateway gateway;

  @Test
  @DisplayName("an app alone has more than half of the pool (held to half, a single-app install lost half its room "
      + "for bursts)")
  void anAppAloneHasMostOfIt() {
    awaitIdlePool();
    PasswordClient alone = PasswordClient.forNewApp(gateway, "hash-share-alone", OPEN);
    List<ApiResponse> burst = wrongLogins(alone, "burst", 8).stream().map(CompletableFuture::join).toList();
    assertTrue(burst.stream().filter(answer -> "invalid_credentials".equals(answer.error())).count() >= 5,
        "more than four of eight checked at once: " + burst);
  }

  private static List<CompletableFuture<ApiResponse>> wrongLogins(PasswordClient client, String name, int count) {
    List<CompletableFuture<ApiResponse>> logins = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      logins.add(client.postAsync("/auth/login", new JsonObject().put("email", name + i + "@example.com")
          .put("password", "not the password").put("client_ip", "198.51." + name.length() + "." + (i + 1))));
    }
    return logins;
  }

  /** The other case's hashes may still run after their answers (a request that timed out leaves its hash queued). */
  private static void awaitIdlePool() {
    Await.until("the hashing pool to be idle", Duration.ofSeconds(30), () -> inFlight() == 0);
  }

  private static double inFlight() {
    return gateway.management().get("/metrics").body().lines()
        .filter(line -> line.startsWith("portcullis_password_hash_in_flight "))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }
}
