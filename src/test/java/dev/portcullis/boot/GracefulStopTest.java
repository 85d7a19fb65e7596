package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayProcess;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("SIGTERM")
class GracefulStopTest {

  @Test
  @DisplayName("a gateway process under traffic stops on SIGTERM with exit 0 and no stack trace in its log")
  void cleanStop() throws Exception {
    int httpPort = TestBackends.freePort();
    int managementPort = TestBackends.freePort();
    Path log = Files.createTempFile("portcullis-stop", ".log");
    ProcessBuilder builder = GatewayProcess.builder(log);
    Map<String, String> env = builder.environment();
    env.put(GatewayConfig.PG_URL, TestBackends.newDatabase().toUrl());
    env.put(GatewayConfig.REDIS_URL, TestBackends.redisUrl());
    env.put(GatewayConfig.REDIS_PREFIX, TestBackends.newRedisPrefix());
    env.put(GatewayConfig.MASTER_KEY, TestGateway.TEST_MASTER_KEY);
    env.put(GatewayConfig.ADMIN_KEY, TestGateway.ADMIN_KEY);
    env.put(GatewayConfig.ISSUER, "http://localhost:" + httpPort);
    env.put(GatewayConfig.HTTP_PORT, Integer.toString(httpPort));
    env.put(GatewayConfig.MANAGEMENT_PORT, Integer.toString(managementPort));
    env.put(GatewayConfig.HTTP_INSTANCES, "1");
    env.put(GatewayConfig.PG_POOL_SIZE, "4");
    Process process = builder.start();
    AtomicBoolean hammering = new AtomicBoolean(true);
    try {
      Http management = new Http(managementPort);
      Await.until("the gateway ready", Duration.ofSeconds(90), () -> {
        try {
          return management.get("/health/ready").status() == 200;
        } catch (RuntimeException notYet) {
          return false;
        }
      });
      Http api = new Http(httpPort);
      AtomicInteger answered = new AtomicInteger();
      Runnable client = () -> {
        while (hammering.get()) {
          try {
            api.post("/auth/refresh", new JsonObject().put("app_id", "6a4c0b52-0f7e-4d39-9d9f-1f4b2b0f0e11")
                .put("app_secret", "wrong").put("refresh_token", "x"));
            answered.incrementAndGet();
          } catch (RuntimeException refused) {
            // the server stopped accepting: expected once SIGTERM is in
          }
        }
      };
      Thread traffic = new Thread(client);
      Thread more = new Thread(client);
      traffic.start();
      more.start();
      Await.until("requests in flight", Duration.ofSeconds(20), () -> answered.get() >= 50);
      process.destroy(); // SIGTERM
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "exited");
      hammering.set(false);
      traffic.join(10_000);
      more.join(10_000);
      String text = logText(log);
      assertEquals(0, process.exitValue(), text);
      assertTrue(text.contains("stopped"), text);
      List<String> traces = text.lines().filter(line -> line.startsWith("\tat ") || line.contains("Exception")).toList();
      assertFalse(!traces.isEmpty(), "stack traces in the log of a clean stop:\n" + text);
    } finally {
      hammering.set(false);
      process.destroyForcibly();
    }
  }

  private static String logText(Path log) {
    try {
      return Files.readString(log);
    } catch (Exception e) {
      return "";
    }
  }
}
