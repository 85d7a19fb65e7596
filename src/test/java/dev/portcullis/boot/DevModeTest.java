package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.LogCapture;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("start-dev: codes go to the log unless a channel is configured; the admin key does not")
class DevModeTest {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A configuration whose Postgres and Redis answer (the machine's own), with its keys given. */
  private static JsonObject raw() {
    return new JsonObject()
        .put(GatewayConfig.PG_URL, "postgresql://postgres@127.0.0.1:5432/postgres")
        .put(GatewayConfig.REDIS_URL, "redis://127.0.0.1:6379")
        .put(GatewayConfig.HTTP_PORT, 8080)
        .put(GatewayConfig.MANAGEMENT_PORT, 9090)
        .put(GatewayConfig.MASTER_KEY, Base64.getEncoder().encodeToString(new byte[32]))
        .put(GatewayConfig.ADMIN_KEY, "pca_dev-mode-test");
  }

  @Test
  @DisplayName("an OTP channel set in the configuration (an environment variable) is kept; unset, it is log")
  void channels() throws Exception {
    JsonObject configured = DevMode.prepare(vertx, raw()
        .put(GatewayConfig.OTP_EMAIL_CHANNEL, "webhook")
        .put(GatewayConfig.OTP_EMAIL_WEBHOOK_URL, "http://127.0.0.1:9/otp")).await(60, TimeUnit.SECONDS);
    assertEquals("webhook", configured.getString(GatewayConfig.OTP_EMAIL_CHANNEL));
    assertEquals("log", configured.getString(GatewayConfig.OTP_SMS_CHANNEL));
    JsonObject unset = DevMode.prepare(vertx, raw()).await(60, TimeUnit.SECONDS);
    assertEquals("log", unset.getString(GatewayConfig.OTP_EMAIL_CHANNEL));
  }

  @Test
  @DisplayName("says where the admin key is, never the key itself (a log line carries no secret)")
  void adminKeyNotLogged() throws Exception {
    try (LogCapture log = new LogCapture()) {
      DevMode.prepare(vertx, raw()).await(60, TimeUnit.SECONDS);
      assertTrue(log.lines().stream().anyMatch(line -> line.contains("admin key") && line.contains("PORTCULLIS_ADMIN_KEY")),
          String.join("\n", log.lines()));
      assertTrue(log.lines().stream().noneMatch(line -> line.contains("pca_dev-mode-test")),
          String.join("\n", log.lines()));
    }
  }

  @Test
  @DisplayName("a sentinel or cluster node list, as README documents it, is taken as it is when a node answers")
  void redisNodeList() throws Exception {
    String nodes = "redis://127.0.0.1:6379, redis://127.0.0.1:6380";
    JsonObject configured = DevMode.prepare(vertx, raw().put(GatewayConfig.REDIS_MODE, "sentinel")
        .put(GatewayConfig.REDIS_URL, nodes)).await(60, TimeUnit.SECONDS);
    assertEquals(nodes, configured.getString(GatewayConfig.REDIS_URL));
    assertEquals("sentinel", configured.getString(GatewayConfig.REDIS_MODE));
  }
}
