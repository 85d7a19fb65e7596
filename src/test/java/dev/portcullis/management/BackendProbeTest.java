package dev.portcullis.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestBackends;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The readiness probe of the stores")
@RunsAlone
class BackendProbeTest {

  @Test
  @DisplayName("a store that hangs is reported down within half a second, well inside the kubelet's 2 s timeout")
  void hangingStoreAnswersQuickly() throws Exception {
    Vertx vertx = Vertx.vertx();
    // Accepts connections (the kernel's backlog) and never answers a byte: a frozen Redis.
    try (ServerSocket silent = new ServerSocket(0)) {
      GatewayConfig config = GatewayConfig.from(new JsonObject()
          .put(GatewayConfig.HTTP_PORT, 0)
          .put(GatewayConfig.MANAGEMENT_PORT, 0)
          .put(GatewayConfig.HTTP_INSTANCES, 1)
          .put(GatewayConfig.PG_URL, TestBackends.newDatabase().toUrl())
          .put(GatewayConfig.PG_POOL_SIZE, 1)
          .put(GatewayConfig.REDIS_URL, "redis://127.0.0.1:" + silent.getLocalPort())
          .put(GatewayConfig.ISSUER, "http://localhost:8080")
          .put(GatewayConfig.BACKEND_TIMEOUT_MS, 5000)
          .put(GatewayConfig.OTP_EMAIL_CHANNEL, "log")
          .put(GatewayConfig.OTP_SMS_CHANNEL, "log")
          .put(GatewayConfig.DEV_MODE, true));
      Postgres pg = Postgres.create(vertx, config);
      RedisStore redis = RedisStore.create(vertx, config);
      BackendProbe probe = new BackendProbe(pg, redis, new SimpleMeterRegistry());
      long started = System.nanoTime();
      JsonObject checks = probe.check().await(10, TimeUnit.SECONDS);
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertEquals("down", checks.getString("redis"), checks.encode());
      assertEquals("up", checks.getString("postgres"), checks.encode());
      assertTrue(tookMs < 1_500, "answered in " + tookMs + " ms");
    } finally {
      vertx.close().await();
    }
  }
}
