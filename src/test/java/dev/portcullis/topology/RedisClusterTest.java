package dev.portcullis.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.RedisProcesses;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PORTCULLIS_REDIS_MODE=cluster (three masters)")
class RedisClusterTest extends RedisTopologyContract {

  @BeforeAll
  static void start() {
    startOn(RedisProcesses.cluster(), "cluster");
  }

  /**
   * While a slot migrates, a node runs a script only where every key it declares is; keys a script named itself
   * would be absent on the importing node, and with them the identity's lockout.
   */
  @Test
  @DisplayName("a locked-out identity's right code is not accepted while its app's slot migrates and only the code's "
      + "request has moved: 503 or 429, never 200")
  void lockoutHoldsWhileTheSlotMigrates() {
    JsonObject credentials = migratingApp("topology-migrating-lockout");
    String requestId = sent(credentials, "locked-" + UUID.randomUUID() + "@example.com");
    String code = receiver.awaitCode(requestId);
    String wrong = code.equals("000000") ? "111111" : "000000";
    for (int i = 0; i < 10; i++) {
      assertEquals(401, verify(credentials, requestId, wrong).status());
    }
    ApiResponse locked = verify(credentials, requestId, code);
    assertEquals(429, locked.status(), "locked out before the migration: " + locked);

    ApiResponse during = withRequestMigrated(credentials, requestId, () -> verify(credentials, requestId, code));
    assertTrue(during.status() == 503 || during.status() == 429, "mid-migration: " + during);

    ApiResponse after = verify(credentials, requestId, code);
    assertEquals(429, after.status(), "still locked out once the slot is stable: " + after);
  }

  /**
   * The send names the code it replaces in its keys too. Not a case the undeclared key could get wrong (the new
   * request's key, absent until the send, already made Redis refuse a send mid-migration), but the send's keys, read
   * first, hold up there as well.
   */
  @Test
  @DisplayName("a new code for an identity whose previous code's request has moved mid-migration is not sent: 503, "
      + "never 200 with the previous code left alive")
  void resendHoldsWhileTheSlotMigrates() {
    JsonObject credentials = migratingApp("topology-migrating-resend");
    String email = "resend-" + UUID.randomUUID() + "@example.com";
    String requestId = sent(credentials, email);
    String code = receiver.awaitCode(requestId);

    ApiResponse during = withRequestMigrated(credentials, requestId, () -> gateway.http().post("/auth/send-otp",
        credentials.copy().put("email", email)));
    assertEquals(503, during.status(), "mid-migration: " + during);

    ApiResponse login = verify(credentials, requestId, code);
    assertEquals(200, login.status(), "the code no send replaced: " + login);
  }

  /** An app without a resend cooldown that allows 20 attempts a code, so ten wrong ones lock its identity out. */
  private static JsonObject migratingApp(String slug) {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Migrating").put("slug", slug)
        .put("settings", new JsonObject().put("otp_resend_cooldown", 0).put("otp_max_attempts", 20)));
    return new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"));
  }

  private static String sent(JsonObject credentials, String email) {
    ApiResponse sent = gateway.http().post("/auth/send-otp", credentials.copy().put("email", email));
    assertEquals(200, sent.status(), sent.body());
    return sent.json().getString("otp_request_id");
  }

  /**
   * Calls {@code during} while the app's slot is half-way from its node to another (IMPORTING there, MIGRATING here)
   * and only the OTP request's key has moved, as when a resharding has moved some of the slot's keys; then puts
   * the key back and the slot in order.
   */
  private static ApiResponse withRequestMigrated(JsonObject credentials, String requestId, Supplier<ApiResponse> during) {
    String appId = credentials.getString("app_id");
    List<Integer> ports = redis.dataPorts();
    String slot = RedisProcesses.cli(ports.get(0), "CLUSTER", "KEYSLOT", "{" + appId + "}").strip();
    int source = ports.stream().filter(port -> !keysInSlot(port, slot).isEmpty()).findFirst().orElseThrow();
    int target = ports.stream().filter(port -> port != source).findFirst().orElseThrow();
    String requestKey = keysInSlot(source, slot).stream()
        .filter(key -> key.endsWith("otp:{" + appId + "}:" + requestId))
        .findFirst()
        .orElseThrow();
    String sourceId = RedisProcesses.cli(source, "CLUSTER", "MYID").strip();
    String targetId = RedisProcesses.cli(target, "CLUSTER", "MYID").strip();
    assertEquals("OK", RedisProcesses.cli(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId).strip());
    assertEquals("OK", RedisProcesses.cli(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", targetId).strip());
    try {
      assertEquals("OK", RedisProcesses.cli(source, "MIGRATE", "127.0.0.1", Integer.toString(target), requestKey, "0",
          "5000").strip());
      return during.get();
    } finally {
      // as it was: the source stops migrating (else it redirects the keys it lacks back to the target), what the
      // importing node holds of the slot goes back to it, then the target stops importing
      RedisProcesses.cli(source, "CLUSTER", "SETSLOT", slot, "STABLE");
      for (String key : keysInSlot(target, slot)) {
        String moved = RedisProcesses.cliSession(target, List.of("ASKING",
            "MIGRATE 127.0.0.1 " + source + " " + key + " 0 5000 REPLACE"));
        assertEquals("OK\nOK", moved.strip(), "moving " + key + " back");
      }
      RedisProcesses.cli(target, "CLUSTER", "SETSLOT", slot, "STABLE");
    }
  }

  private static List<String> keysInSlot(int port, String slot) {
    return RedisProcesses.cli(port, "CLUSTER", "GETKEYSINSLOT", slot, "1000").lines()
        .map(String::strip)
        .filter(line -> !line.isEmpty())
        .toList();
  }

  private static ApiResponse verify(JsonObject credentials, String requestId, String code) {
    return gateway.http().post("/auth/verify-otp", credentials.copy().put("otp_request_id", requestId).put("otp", code));
  }
}
