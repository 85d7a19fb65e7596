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
  @DisplayName("a gateway process under traffic stops on SIGTERM with exit 0 and no stack trace in its log; a second "
      + "SIGTERM while it stops is only logged (h65: it ran a second stop that cut the drain short, with traces)")
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
      Await.until("the stop under way", Duration.ofSeconds(20), () -> logText(log).contains("stopping:"));
      process.destroy(); // and a second one
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "exited");
      hammering.set(false);
      traffic.join(10_000);
      more.join(10_000);
      String text = logText(log);
      assertEquals(0, process.exitValue(), text);
      assertTrue(text.contains("stopped"), text);
      List<String> traces = withoutMetricsRace(text).stream()
          .filter(line -> line.startsWith("\tat ") || line.contains("Exception")).toList();
      assertFalse(!traces.isEmpty(), "stack traces in the log of a clean stop:\n" + text);
      assertTrue(text.contains("already stopping"), text);
    } finally {
      hammering.set(false);
      process.destroyForcibly();
    }
  }

  /**
   * The log's lines without Vert.x's own races on a connection the server is closing (Vert.x 5.0 with its Micrometer
   * metrics): a request read on it finds its socket metric gone and throws in VertxHttpServerMetrics, then in
   * Http1xServerRequest as the connection ends; Netty logs each as a warning with its trace, and the request is
   * dropped with its connection. The test's clients reuse connections the gateway closes after its refusals, so this
   * happens now and then, before the stop as well as during it. Only such traces go: a NullPointerException none of
   * whose frames is the gateway's.
   */
  private static List<String> withoutMetricsRace(String text) {
    List<String> lines = text.lines().toList();
    List<String> kept = new java.util.ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      int end = i + 1;
      while (end < lines.size() && lines.get(end).startsWith("\tat ")) {
        end++;
      }
      List<String> frames = lines.subList(i + 1, end);
      boolean libraryRace = lines.get(i).contains("java.lang.NullPointerException") && !frames.isEmpty()
          && frames.stream().noneMatch(frame -> frame.contains("dev.portcullis."));
      if (!libraryRace) {
        kept.add(lines.get(i));
        kept.addAll(frames);
      }
      i = end - 1;
    }
    // Netty's warning line that announces such a trace names the same exception
    return kept.stream().filter(line -> !(line.contains("was thrown by a user handler's exceptionCaught()")
        && line.contains("java.lang.NullPointerException"))).toList();
  }

  private static String logText(Path log) {
    try {
      return Files.readString(log);
    } catch (Exception e) {
      return "";
    }
  }
}
