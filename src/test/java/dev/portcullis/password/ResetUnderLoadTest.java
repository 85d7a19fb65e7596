package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A reset refused because no hashing thread was free used to have spent its code already (probe h50): the code was
 * checked before the new password was hashed, so the user had to ask for another.
 */
@DisplayName("A password reset refused by a full hashing pool")
class ResetUnderLoadTest {

  /**
   * One slow hashing thread and three waiting places: four hashes at once, of which an app alone may hold three. (With
   * one place in all, an app refused once may not have it for a second, so the retry would need a wait.)
   */
  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook()
      .config(HashingSettings.THREADS, 1)
      .config(HashingSettings.QUEUE_PER_THREAD, 3)
      .config(HashingSettings.ITERATIONS, 40);

  static TestGateway gateway;
  static WebhookReceiver receiver;

  @Test
  @DisplayName("answers 503 and keeps its code: the retry with the same code resets the password")
  void keepsItsCode() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "reset-full", new JsonObject()
        .put("challenge_required", false).put("otp_resend_cooldown", 0));
    String email = "rhea@example.com";
    String verificationId = client.signup(email, "tangerine skyline 42").json().getString("verification_id");
    ApiResponse verified = client.verify(verificationId, receiver.awaitCode(verificationId));
    assertEquals(200, verified.status(), verified.body());
    ApiResponse requested = client.requestReset(email);
    assertEquals(200, requested.status(), requested.body());
    String resetId = requested.json().getString("reset_id");
    String code = receiver.awaitCode(resetId);

    Await.until("the hashing pool to be idle", Duration.ofSeconds(30), () -> inFlight() == 0);
    List<CompletableFuture<ApiResponse>> holding = IntStream.range(0, 3)
        .mapToObj(i -> client.postAsync("/auth/login", new JsonObject().put("email", "other" + i + "@example.com")
            .put("password", "not the password")))
        .toList();
    Await.until("three logins' hashes to hold the app's share", Duration.ofSeconds(10), () -> inFlight() == 3);
    ApiResponse refused = client.reset(resetId, code, "quietly humming kettle");
    assertEquals(503, refused.status(), refused.body());
    assertEquals("unavailable", refused.error());
    holding.forEach(login -> assertEquals("invalid_credentials", login.join().error()));

    Await.until("the hashing pool to be idle", Duration.ofSeconds(30), () -> inFlight() == 0);
    ApiResponse retried = client.reset(resetId, code, "quietly humming kettle");
    assertEquals(200, retried.status(), retried.body());
    ApiResponse login = client.login(email, "quietly humming kettle", null);
    assertEquals(200, login.status(), login.body());
  }

  @Test
  @DisplayName("a wrong code costs no hash, nor do tries on a request its wrong codes burned (h56: each one hashed, "
      + "without end)")
  void wrongCodesCostNoHash() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "reset-wrong", new JsonObject()
        .put("challenge_required", false).put("otp_resend_cooldown", 0));
    String resetId = client.requestReset("nobody@example.com").json().getString("reset_id");
    Await.until("the hashing pool to be idle", Duration.ofSeconds(30), () -> inFlight() == 0);
    double before = metric("portcullis_password_hash_duration_seconds_count");
    List<String> answers = IntStream.range(0, 8)
        .mapToObj(i -> client.reset(resetId, "000000", "quietly humming kettle").error())
        .toList();
    assertEquals(List.of("otp_invalid", "otp_invalid", "otp_invalid", "otp_invalid", "otp_invalid",
        "otp_attempts_exceeded", "otp_attempts_exceeded", "otp_attempts_exceeded"), answers);
    assertEquals(before, metric("portcullis_password_hash_duration_seconds_count"), "hashes");
  }

  private static double inFlight() {
    return metric("portcullis_password_hash_in_flight");
  }

  private static double metric(String name) {
    return gateway.management().get("/metrics").body().lines()
        .filter(line -> line.startsWith(name + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }
}
