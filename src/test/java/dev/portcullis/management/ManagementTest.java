package dev.portcullis.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

@DisplayName("The management port")
class ManagementTest {

  @Test
  @DisplayName("serves liveness, readiness with each check, and Prometheus metrics by route template")
  void healthAndMetrics() {
    try (TestGateway gateway = TestGateway.start()) {
      assertEquals(200, gateway.management().get("/health/live").status());
      ApiResponse echoed = gateway.management().get("/health/live", "X-Request-Id", "probe-42");
      assertEquals("probe-42", echoed.header("X-Request-Id"), "the public port's request ids here too");
      ApiResponse unknown = gateway.management().get("/no-such-path");
      assertEquals(404, unknown.status());
      assertEquals("not_found", unknown.error(), unknown.body());
      ApiResponse post = gateway.management().post("/health/live", new io.vertx.core.json.JsonObject());
      assertEquals(405, post.status());
      assertEquals("GET", post.header("Allow"));
      ApiResponse ready = gateway.management().get("/health/ready");
      assertEquals(200, ready.status());
      assertEquals("up", ready.json().getJsonObject("checks").getString("postgres"));
      assertEquals("up", ready.json().getJsonObject("checks").getString("redis"));

      String appId = gateway.createApp("metrics-app").getString("app_id");
      gateway.http().get("/v1/apps/" + appId + "/jwks.json");
      String metrics = gateway.management().get("/metrics").body();
      assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM metrics");
      assertTrue(metrics.contains("vertx_http_server_requests_total"), "HTTP server metrics");
      assertTrue(metrics.contains("route=\"/v1/apps\""), "HTTP metrics carry the route template");
      assertTrue(metrics.contains("vertx_pool"), "pool metrics");
      assertTrue(metrics.contains("vertx_eventbus"), "event bus metrics");
      assertTrue(metrics.contains("vertx_redis_"), "Redis client metrics");
      assertTrue(metrics.contains("vertx_sql_"), "SQL client metrics");
      assertFalse(metrics.contains(appId), "no raw path or id in any label");
    }
  }

  @Test
  @DisplayName("readiness stays 200 while Redis is unreachable, says Redis is down, and says up when it is back")
  void readinessReportsRedis() throws Exception {
    int port = TestBackends.freePort();
    try (TestGateway gateway = TestGateway.start(new JsonObject().put(GatewayConfig.REDIS_URL, "redis://127.0.0.1:" + port))) {
      ApiResponse down = gateway.management().get("/health/ready");
      assertEquals(200, down.status(), "a shared store's outage does not take the pod out of the Service");
      assertEquals("down", down.json().getJsonObject("checks").getString("redis"));
      assertEquals("up", down.json().getJsonObject("checks").getString("postgres"));
      String appId = gateway.createApp("ready-redis-down").getString("app_id");
      assertEquals(200, gateway.http().get("/v1/apps/" + appId + "/jwks.json").status(), "the JWKS keeps answering");

      RedisServer redis = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
          .setting("dir " + Files.createTempDirectory("pc-redis")).build();
      redis.start();
      try {
        Await.until("readiness to report Redis up", Duration.ofSeconds(10),
            () -> "up".equals(gateway.management().get("/health/ready").json().getJsonObject("checks").getString("redis")));
      } finally {
        redis.stop();
      }
    }
  }
}
