package dev.portcullis.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TempDirs;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
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
      assertEquals("GET, HEAD", post.header("Allow"));
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
      java.util.regex.Matcher offset = java.util.regex.Pattern
          .compile("(?m)^portcullis_clock_offset_seconds (\\S+)$").matcher(metrics);
      assertTrue(offset.find(), "the clock offset gauge");
      assertTrue(Math.abs(Double.parseDouble(offset.group(1))) < 2, "this test's process and Postgres share a clock: "
          + offset.group(0));

      // A stranger's made-up methods must not each become a series: they count as "other".
      for (int i = 0; i < 3; i++) {
        assertEquals(404, gateway.http().send("M0DE" + i, "/x", null).status());
        assertEquals(404, gateway.management().send("M1DE" + i, "/x", null).status());
      }
      String after = gateway.management().get("/metrics").body();
      assertFalse(after.contains("M0DE") || after.contains("M1DE"), "no made-up method in a label");
      assertTrue(after.contains("method=\"other\""), "made-up methods counted as other");
    }
  }

  @Test
  @DisplayName("after SIGTERM readiness answers 503 and liveness 200 while in-flight requests drain")
  void notReadyWhileDraining() throws Exception {
    TestGateway gateway = TestGateway.start();
    try (java.net.Socket inFlight = new java.net.Socket("127.0.0.1", gateway.config().httpPort())) {
      // A request whose body is still arriving: the drain waits for it.
      inFlight.getOutputStream().write(("POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\n"
          + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{").getBytes(
          java.nio.charset.StandardCharsets.US_ASCII));
      inFlight.getOutputStream().flush();
      Await.until("the request to be in flight", Duration.ofSeconds(5), () -> gateway.management().get("/metrics")
          .body().contains("vertx_http_server_active_requests"));
      // Its own thread: the common pool (one thread on two cores) also runs the test HTTP client's stages.
      java.util.concurrent.FutureTask<Void> stopped = new java.util.concurrent.FutureTask<>(gateway::stop, null);
      new Thread(stopped, "sigterm").start();
      Await.until("readiness 503 while draining", Duration.ofSeconds(10),
          () -> gateway.management().get("/health/ready").status() == 503);
      assertEquals("stopping", gateway.management().get("/health/ready").json().getString("status"));
      assertEquals(200, gateway.management().get("/health/live").status());
      assertFalse(stopped.isDone(), "still draining");
      java.util.List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
      ch.qos.logback.classic.Logger responder = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
          .getLogger(dev.portcullis.http.ErrorResponder.class);
      ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> appender =
          new ch.qos.logback.core.AppenderBase<>() {
            @Override
            protected void append(ch.qos.logback.classic.spi.ILoggingEvent event) {
              if (event.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)) {
                errors.add(event.getFormattedMessage());
              }
            }
          };
      appender.start();
      responder.addAppender(appender);
      try {
        inFlight.close(); // the client leaves mid-body: no answer to give, and no 5xx to log
        stopped.get(30, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        responder.detachAppender(appender);
      }
      assertEquals(java.util.List.of(), errors);
    } finally {
      gateway.close();
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
          .setting("dir " + TempDirs.create("pc-redis")).build();
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
