package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.audit.AuditVerticle;
import dev.portcullis.boot.ApiVerticle;
import dev.portcullis.management.ManagementVerticle;
import dev.portcullis.otp.OtpVerticle;
import dev.portcullis.password.PasswordVerticle;
import dev.portcullis.token.TokenVerticle;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Booting the gateway")
class BootOrderTest {

  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @Test
  @DisplayName("the public port's very first requests are answered by the Token and OTP services, never by a missing consumer")
  void servicesConsumeBeforeThePortOpens() throws Exception {
    int httpPort = TestBackends.freePort();
    JsonObject overrides = overrides(TestBackends.newDatabase(), httpPort, TestBackends.freePort())
        .put(GatewayConfig.OWNER_SIGNUP, "open");
    Vertx vertx = GatewayVertx.create();
    try {
      Future<Gateway> starting = ConfigLoader.load(vertx, overrides, false)
          .compose(config -> Gateway.start(vertx, config));

      // Each request is written on the first connection the port accepts, so it races the rest of the boot.
      String introspection = firstAnswer(httpPort, "GET /v1/apps HTTP/1.1\r\nHost: localhost\r\n"
          + "Authorization: Bearer not-a-token\r\nConnection: close\r\n\r\n");
      assertEquals("HTTP/1.1 401 Unauthorized", introspection, "the Token verticle checked the bearer token");

      String send = "{}";
      String otp = firstAnswer(httpPort, "POST /v1/owners/send-otp HTTP/1.1\r\nHost: localhost\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + send.length() + "\r\nConnection: close\r\n\r\n" + send);
      assertEquals("HTTP/1.1 400 Bad Request", otp, "the OTP verticle refused a send without email or phone");

      Gateway gateway = starting.await(60, TimeUnit.SECONDS);
      gateway.stop().await(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("while the schema migrates, liveness answers 200 and readiness 503 starting, with the public port closed; "
      + "once started, readiness answers 200")
  void healthAnswersThroughTheMigration() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    TestBackends.flyway(database, "110").migrate();
    int httpPort = TestBackends.freePort();
    int managementPort = TestBackends.freePort();
    JsonObject overrides = overrides(database, httpPort, managementPort);
    Vertx vertx = GatewayVertx.create();
    try (java.sql.Connection migrationHeld = TestBackends.connect(database)) {
      migrationHeld.setAutoCommit(false);
      // The migration reads its history first: it waits here as behind a long migration of another pod.
      migrationHeld.createStatement().execute("LOCK TABLE flyway_schema_history IN ACCESS EXCLUSIVE MODE");
      Future<Gateway> starting = ConfigLoader.load(vertx, overrides, false)
          .compose(config -> Gateway.start(vertx, config));
      Http management = new Http(managementPort);
      dev.portcullis.testing.Await.until("the management port answers", DEADLINE,
          () -> answers(management, "/health/live"));
      assertEquals(200, management.get("/health/live").status());
      ApiResponse ready = management.get("/health/ready");
      assertEquals(503, ready.status(), ready.body());
      assertEquals("starting", ready.json().getString("status"));
      assertTrue(!starting.isComplete() && !answers(new Http(httpPort), "/health/live"), "the public port is closed");
      migrationHeld.rollback();

      Gateway gateway = starting.await(60, TimeUnit.SECONDS);
      ApiResponse started = management.get("/health/ready");
      assertEquals(200, started.status(), started.body());
      assertEquals("up", started.json().getString("status"));
      gateway.stop().await(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static JsonObject overrides(PgUrl database, int httpPort, int managementPort) {
    return new JsonObject()
        .put(GatewayConfig.PG_URL, database.toUrl())
        .put(GatewayConfig.REDIS_URL, TestBackends.redisUrl())
        .put(GatewayConfig.REDIS_PREFIX, TestBackends.newRedisPrefix())
        .put(GatewayConfig.MASTER_KEY, TestGateway.TEST_MASTER_KEY)
        .put(GatewayConfig.ADMIN_KEY, TestGateway.ADMIN_KEY)
        .put(GatewayConfig.ISSUER, "http://localhost:8080")
        .put(GatewayConfig.HTTP_PORT, httpPort)
        .put(GatewayConfig.MANAGEMENT_PORT, managementPort);
  }

  private static boolean answers(Http http, String path) {
    try {
      http.get(path);
      return true;
    } catch (RuntimeException refused) {
      return false;
    }
  }

  @Test
  @DisplayName("the boot plan after the migration starts Audit alone first and HTTP only after every service "
      + "(management is up before the migration)")
  void planOrdersTheStages() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      GatewayConfig config = ConfigLoader.load(vertx, new JsonObject()
              .put(GatewayConfig.PG_URL, TestBackends.postgres().toUrl())
              .put(GatewayConfig.MASTER_KEY, TestGateway.TEST_MASTER_KEY)
              .put(GatewayConfig.ISSUER, "http://localhost:8080")
              .put(GatewayConfig.ADMIN_KEY, TestGateway.ADMIN_KEY)
              .put(GatewayConfig.HTTP_INSTANCES, 3), false)
          .await(10, TimeUnit.SECONDS);
      List<List<Gateway.Step>> plan = Gateway.plan(config, 2);

      assertEquals(List.of(new Gateway.Step(AuditVerticle.class, 1)), plan.get(0));
      int http = stageOf(plan, ApiVerticle.class);
      assertTrue(http > stageOf(plan, TokenVerticle.class), "HTTP after Token");
      assertTrue(http > stageOf(plan, OtpVerticle.class), "HTTP after OTP");
      assertTrue(http > stageOf(plan, PasswordVerticle.class), "HTTP after passwords");
      assertEquals(3, plan.get(http).get(0).instances());
      assertEquals(http, plan.size() - 1, "HTTP last");
      assertTrue(plan.stream().flatMap(List::stream).noneMatch(step -> step.verticle() == ManagementVerticle.class));
      assertEquals(10, plan.stream().mapToInt(List::size).sum(), "each verticle once");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static int stageOf(List<List<Gateway.Step>> plan, Class<?> verticle) {
    for (int i = 0; i < plan.size(); i++) {
      if (plan.get(i).stream().anyMatch(step -> step.verticle() == verticle)) {
        return i;
      }
    }
    throw new AssertionError(verticle.getSimpleName() + " is not in the plan");
  }

  /** Connects as soon as the port accepts (a refused connect returns at once), writes the request, reads the status line. */
  private static String firstAnswer(int port, String request) throws IOException {
    long end = System.nanoTime() + DEADLINE.toNanos();
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        socket.setSoTimeout((int) DEADLINE.toMillis());
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return statusLine(socket.getInputStream());
      } catch (ConnectException refused) {
        if (System.nanoTime() > end) {
          throw new AssertionError("the public port did not open within " + DEADLINE.toSeconds() + " s");
        }
        Thread.onSpinWait();
      }
    }
  }

  private static String statusLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != -1 && c != '\r' && c != '\n'; c = in.read()) {
      line.append((char) c);
    }
    return line.toString();
  }
}
