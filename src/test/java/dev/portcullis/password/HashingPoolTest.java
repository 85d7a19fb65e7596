package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("The password hashing pool")
@RunsAlone
class HashingPoolTest {

  /** One hashing thread and no waiting room: a second concurrent hash is refused. */
  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook()
      .config(HashingSettings.THREADS, 1)
      .config(HashingSettings.QUEUE_PER_THREAD, 0);

  static TestGateway gateway;
  static WebhookReceiver receiver;

  /** A response and how long it took, in milliseconds. */
  private record Timed(ApiResponse response, long millis) {
  }

  @Test
  @DisplayName("when the pool is saturated logins answer 503 unavailable with Retry-After at once, "
      + "while /auth/me keeps answering")
  void saturated() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pool-full", new JsonObject().put("challenge_required", false));
    String access = otpLogin(client, "uma@example.com");
    // warm: the first requests of a fresh process pay for class loading and connections, not for hashing
    assertEquals("invalid_credentials", client.post("/auth/login", new JsonObject().put("email", "warm@example.com")
        .put("password", "some password here")).error());

    List<CompletableFuture<Timed>> logins = new ArrayList<>();
    List<CompletableFuture<Timed>> mes = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String email = "who" + i + "@example.com";
      logins.add(timed(() -> client.postAsync("/auth/login", new JsonObject().put("email", email)
          .put("password", "some password here"))));
      mes.add(timed(() -> gateway.http().sendAsync("GET", "/auth/me", null, Http.bearer(access))));
    }
    List<Timed> loginResults = logins.stream().map(CompletableFuture::join).toList();
    List<Timed> refused = loginResults.stream().filter(t -> t.response().status() == 503).toList();
    assertTrue(!refused.isEmpty(), "some logins are refused: " + loginResults);
    for (Timed one : refused) {
      assertEquals("unavailable", one.response().error());
      assertEquals("1", one.response().header("Retry-After"));
      assertTrue(one.millis() < 1_500, "a refusal does not wait for a hash: " + one.millis() + " ms");
    }
    assertTrue(loginResults.stream().anyMatch(t -> "invalid_credentials".equals(t.response().error())),
        "the admitted ones are checked");
    for (Timed me : mes.stream().map(CompletableFuture::join).toList()) {
      assertEquals(200, me.response().status(), me.response().body());
      assertTrue(me.millis() < 1_500, "/auth/me took " + me.millis() + " ms");
    }
  }

  private static CompletableFuture<Timed> timed(java.util.function.Supplier<CompletableFuture<ApiResponse>> call) {
    long started = System.nanoTime();
    return call.get().thenApply(response -> new Timed(response, (System.nanoTime() - started) / 1_000_000));
  }

  private static String otpLogin(PasswordClient client, String email) {
    String id = client.post("/auth/send-otp", new JsonObject().put("email", email)).json().getString("otp_request_id");
    ApiResponse verified = client.post("/auth/verify-otp", new JsonObject().put("otp_request_id", id)
        .put("otp", receiver.awaitCode(id)));
    assertEquals(200, verified.status(), verified.body());
    return verified.json().getString("access_token");
  }
}
