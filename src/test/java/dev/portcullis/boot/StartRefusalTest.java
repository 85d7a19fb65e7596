package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.GatewayProcess;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("A start refused by its configuration")
class StartRefusalTest {

  @Test
  @DisplayName("an unknown PORTCULLIS_LOG_FORMAT stops the start with exit 1 and one line naming the key")
  void unknownLogFormat() throws Exception {
    String text = refusedStart(Map.of(GatewayConfig.LOG_FORMAT, "xml"));
    assertTrue(text.contains("did not start: " + GatewayConfig.LOG_FORMAT + " must be json or text"), text);
  }

  @Test
  @DisplayName("a Redis that answers the connection's setup with an error (a database number it does not have) stops "
      + "the start naming PORTCULLIS_REDIS_URL: started anyway, every request that reached it was a 500")
  void redisSetupRefused() {
    io.vertx.core.json.JsonObject config = new io.vertx.core.json.JsonObject()
        .put(GatewayConfig.REDIS_URL, TestBackends.redisUrl() + "/99");
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> TestGateway.start(config));
    String message = String.valueOf(refused.getCause());
    assertTrue(message.contains(GatewayConfig.REDIS_URL) && message.contains("DB index"), message);
  }

  @Test
  @DisplayName("a port another process holds stops the start naming its key and port (h65: 'Address already in use' "
      + "named neither; the management port's failure is named the same way)")
  void portTaken() throws Exception {
    String key = GatewayConfig.HTTP_PORT;
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("0.0.0.0"))) {
      io.vertx.core.json.JsonObject config = new io.vertx.core.json.JsonObject().put(key, taken.getLocalPort());
      IllegalStateException refused = assertThrows(IllegalStateException.class, () -> TestGateway.start(config));
      String message = String.valueOf(refused.getCause());
      assertTrue(message.contains(key + " " + taken.getLocalPort() + ": "), message);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"PORTCULLIS_MANAGEMENT_PORT", "PORTCULLIS_HTTP_PORT"})
  @DisplayName("a port another process holds stops the start with that one reason: no store client is cut off "
      + "mid-connection and logged as an error beside it (h104: Redis 'Connection was closed')")
  void portTakenLogsOnlyItself(String key) throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("0.0.0.0"))) {
      String text = refusedStart(Map.of(key, Integer.toString(taken.getLocalPort())));
      assertTrue(text.contains("did not start: " + key + " " + taken.getLocalPort()), text);
      assertEquals(1, text.lines().filter(line -> line.contains(" ERROR ")).count(), text);
      assertFalse(text.contains("Connection was closed"), text);
    }
  }

  /** Starts the jar in its own process with a valid configuration but {@code settings}: its log, once it exited 1. */
  private static String refusedStart(Map<String, String> settings) throws Exception {
    Path log = Files.createTempFile("portcullis-refused", ".log");
    ProcessBuilder builder = GatewayProcess.builder(log);
    Map<String, String> env = builder.environment();
    env.put(GatewayConfig.PG_URL, TestBackends.newDatabase().toUrl());
    env.put(GatewayConfig.REDIS_URL, TestBackends.redisUrl());
    env.put(GatewayConfig.MASTER_KEY, TestGateway.TEST_MASTER_KEY);
    env.put(GatewayConfig.ADMIN_KEY, TestGateway.ADMIN_KEY);
    env.put(GatewayConfig.ISSUER, "http://localhost:1");
    env.put(GatewayConfig.HTTP_PORT, Integer.toString(TestBackends.freePort()));
    env.put(GatewayConfig.MANAGEMENT_PORT, Integer.toString(TestBackends.freePort()));
    env.putAll(settings);
    Process process = builder.start();
    try {
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "exited");
      String text = Files.readString(log);
      assertEquals(1, process.exitValue(), text);
      return text;
    } finally {
      process.destroyForcibly();
    }
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({"PORTCULLIS_PASSWORD_HASH_NICE, 25", "PORTCULLIS_LICENSE_CALLS_PER_MINUTE_PER_IP, 0",
      "PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IP, many", "PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IDENTITY, 0",
      "PORTCULLIS_AUDIT_PARTITIONS_AHEAD, 99",
      "PORTCULLIS_AUDIT_VERIFY_BUDGET_MS, 1", "PORTCULLIS_HOUSEKEEPING_BATCH_SIZE, 0",
      "PORTCULLIS_OWNER_ALLOWLIST, example.com", "PORTCULLIS_OWNER_ALLOWLIST, @bücher.de",
      "PORTCULLIS_TRUSTED_PROXIES, 10.0.0.0/33", "PORTCULLIS_CONVERSATIONS_PER_HOUR_PER_APP, abc"})
  @DisplayName("a bad setting of a capability stops the start naming its key before the schema migrates")
  void refusedBeforeTheMigration(String key, String value) throws Exception {
    PgUrl database = TestBackends.newDatabase();
    io.vertx.core.json.JsonObject config = new io.vertx.core.json.JsonObject()
        .put(GatewayConfig.PG_URL, database.toUrl()).put(key, value);
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> TestGateway.start(config));
    String message = String.valueOf(refused.getCause());
    assertTrue(message.contains(key), message);
    try (java.sql.Connection db = TestBackends.connect(database);
         java.sql.ResultSet tables = db.createStatement().executeQuery(
             "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")) {
      tables.next();
      assertEquals(0, tables.getInt(1), "no migration ran");
    }
  }
}
