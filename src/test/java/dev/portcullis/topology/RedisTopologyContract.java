package dev.portcullis.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.RedisProcesses;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Redis paths of a login (OTP send and verify, the send limits, revocation) on one Redis topology: a
 * subclass starts the topology's processes and a gateway configured for it in {@link #startOn}.
 */
abstract class RedisTopologyContract {

  protected static RedisProcesses redis;
  protected static WebhookReceiver receiver;
  protected static TestGateway gateway;
  protected static JsonObject app;

  /** Starts a gateway in that mode on those Redis processes, and one app with a short resend cooldown. */
  protected static void startOn(RedisProcesses processes, String mode) {
    startOn(processes, mode, mode);
  }

  /** The same, the app's slug ending in {@code name}. */
  protected static void startOn(RedisProcesses processes, String mode, String name) {
    redis = processes;
    receiver = new WebhookReceiver();
    gateway = TestGateway.start(receiver.channels()
        .put(GatewayConfig.REDIS_MODE, mode)
        .put(GatewayConfig.REDIS_URL, processes.nodesUrl())
        .put(GatewayConfig.REDIS_MASTER_NAME, RedisProcesses.MASTER_NAME));
    app = gateway.createApp(new JsonObject().put("name", "Topology").put("slug", "topology-" + name)
        .put("settings", new JsonObject().put("otp_resend_cooldown", 30)));
  }

  @AfterAll
  static void stopAll() {
    if (gateway != null) {
      gateway.close();
    }
    if (receiver != null) {
      receiver.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  @DisplayName("an OTP code verifies once: a wrong guess counts, the right code logs in, a second use is expired")
  void otpVerifiesOnce() {
    String requestId = send("once-" + UUID.randomUUID() + "@example.com").json().getString("otp_request_id");
    String code = receiver.awaitCode(requestId);

    ApiResponse wrong = verify(requestId, wrongCode(code));
    assertEquals(401, wrong.status(), wrong.body());
    assertEquals("otp_invalid", wrong.error());
    assertEquals(4, wrong.json().getInteger("attempts_left"));

    ApiResponse login = verify(requestId, code);
    assertEquals(200, login.status(), login.body());
    assertNotNull(login.json().getString("refresh_token"));

    ApiResponse again = verify(requestId, code);
    assertEquals(401, again.status(), again.body());
    assertEquals("otp_expired", again.error());
  }

  @Test
  @DisplayName("a second send to one identity within the resend cooldown is 429 rate_limited with Retry-After")
  void resendCooldown() {
    String email = "cooldown-" + UUID.randomUUID() + "@example.com";
    assertEquals(200, send(email).status());
    ApiResponse refused = send(email);
    assertEquals(429, refused.status(), refused.body());
    assertEquals("rate_limited", refused.error());
    assertTrue(Integer.parseInt(refused.header("Retry-After")) > 0, refused.toString());
  }

  @Test
  @DisplayName("logged-out sessions answer session_revoked on /auth/me while the others, checked together, stay valid")
  void revocation() {
    List<JsonObject> sessions = IntStream.range(0, 8).mapToObj(i -> login("revoke-" + i + "-" + UUID.randomUUID() + "@example.com")).toList();
    for (int i = 0; i < sessions.size(); i += 2) {
      ApiResponse logout = gateway.http().post("/auth/logout", credentials()
          .put("refresh_token", sessions.get(i).getString("refresh_token")));
      assertEquals(200, logout.status(), logout.body());
    }
    // all at once, so one verticle's revocation checks of one event-loop turn go to Redis together
    List<CompletableFuture<ApiResponse>> checks = sessions.stream()
        .map(session -> gateway.http().sendAsync("GET", "/auth/me", null, Http.bearer(session.getString("access_token"))))
        .toList();
    for (int i = 0; i < sessions.size(); i++) {
      ApiResponse me = checks.get(i).join();
      if (i % 2 == 0) {
        assertEquals(401, me.status(), me.body());
        assertEquals("session_revoked", me.error());
      } else {
        assertEquals(200, me.status(), me.body());
      }
    }
    ApiResponse refresh = gateway.http().post("/auth/refresh", credentials()
        .put("refresh_token", sessions.get(1).getString("refresh_token")));
    assertEquals(200, refresh.status(), refresh.body());
  }

  /**
   * Logs a user in until every decision of one login was acknowledged by a replica: a replica starved of CPU may miss
   * the 250 ms acknowledgement now and then, so one of three logins must (a WAIT that never works fails all three).
   */
  protected static void assertDecisionsAcknowledged() {
    boolean acknowledged = false;
    for (int attempt = 0; attempt < 3 && !acknowledged; attempt++) {
      double before = unreplicatedWrites();
      login("acknowledged-" + java.util.UUID.randomUUID() + "@example.com");
      acknowledged = before == unreplicatedWrites();
    }
    assertTrue(acknowledged, "with a live replica every decision is acknowledged");
  }

  /** portcullis_redis_unreplicated_writes_total: decisions no replica acknowledged in time. */
  protected static double unreplicatedWrites() {
    String metrics = gateway.management().get("/metrics").body();
    return metrics.lines()
        .filter(line -> line.startsWith("portcullis_redis_unreplicated_writes_total"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** A session of a new user, by OTP. */
  protected static JsonObject login(String email) {
    String requestId = send(email).json().getString("otp_request_id");
    ApiResponse login = verify(requestId, receiver.awaitCode(requestId));
    assertEquals(200, login.status(), login.body());
    return login.json();
  }

  protected static ApiResponse send(String email) {
    return gateway.http().post("/auth/send-otp", credentials().put("email", email));
  }

  protected static ApiResponse verify(String requestId, String code) {
    return gateway.http().post("/auth/verify-otp", credentials().put("otp_request_id", requestId).put("otp", code));
  }

  private static String wrongCode(String code) {
    char last = code.charAt(code.length() - 1);
    return code.substring(0, code.length() - 1) + (last == '9' ? '0' : (char) (last + 1));
  }

  private static JsonObject credentials() {
    return new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"));
  }
}
