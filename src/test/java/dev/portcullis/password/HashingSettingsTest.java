package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Password hashing settings")
class HashingSettingsTest {

  private static JsonObject base() {
    // dev mode: the production-only requirements (issuer, admin key, owner sign-up) are not what this is about
    return new JsonObject()
        .put(GatewayConfig.DEV_MODE, true)
        .put(GatewayConfig.HTTP_PORT, 8080)
        .put(GatewayConfig.MANAGEMENT_PORT, 9090)
        .put(GatewayConfig.HTTP_INSTANCES, 0)
        .put(GatewayConfig.PG_POOL_SIZE, 4)
        .put(GatewayConfig.BACKEND_TIMEOUT_MS, 1000)
        .put(GatewayConfig.PG_URL, "postgresql://postgres@127.0.0.1:5432/x")
        .put(GatewayConfig.REDIS_URL, "redis://127.0.0.1:6379")
        .put(GatewayConfig.ISSUER, "http://localhost:8080")
        .put(GatewayConfig.OTP_EMAIL_CHANNEL, "log")
        .put(GatewayConfig.OTP_SMS_CHANNEL, "log")
        .put(GatewayConfig.MASTER_KEY, TestGateway.TEST_MASTER_KEY)
        .put(GatewayConfig.OWNER_SIGNUP, "open")
        .put(HashingSettings.MEMORY_KIB, 19456)
        .put(HashingSettings.ITERATIONS, 2)
        .put(HashingSettings.PARALLELISM, 1)
        .put(HashingSettings.THREADS, 2)
        .put(HashingSettings.QUEUE_PER_THREAD, 8)
        .put(HashingSettings.NICE, 19);
  }

  @Test
  @DisplayName("the defaults are OWASP's Argon2id minimum, and the pool admits threads times one plus the queue")
  void defaults() {
    HashingSettings settings = HashingSettings.from(GatewayConfig.from(base()));
    assertEquals(Argon2id.DEFAULT, settings.argon2id());
    assertEquals(2, settings.threads());
    assertEquals(18, settings.capacity());
  }

  @Test
  @DisplayName("parameters may be stronger, never weaker: a weaker one stops the start naming its key")
  void neverWeaker() {
    assertEquals(65536, HashingSettings.from(GatewayConfig.from(base().put(HashingSettings.MEMORY_KIB, 65536)))
        .argon2id().memoryKib());
    IllegalArgumentException weaker = assertThrows(IllegalArgumentException.class,
        () -> HashingSettings.from(GatewayConfig.from(base().put(HashingSettings.ITERATIONS, 1))));
    assertTrue(weaker.getMessage().startsWith(HashingSettings.ITERATIONS), weaker.getMessage());
  }
}
