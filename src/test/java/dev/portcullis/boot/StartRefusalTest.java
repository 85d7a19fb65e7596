package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.GatewayProcess;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A start refused by its configuration")
class StartRefusalTest {

  @Test
  @DisplayName("an unknown PORTCULLIS_LOG_FORMAT stops the start with exit 1 and one line naming the key")
  void unknownLogFormat() throws Exception {
    Path log = Files.createTempFile("portcullis-refused", ".log");
    ProcessBuilder builder = GatewayProcess.builder(log);
    Map<String, String> env = builder.environment();
    env.put(GatewayConfig.LOG_FORMAT, "xml");
    env.put(GatewayConfig.PG_URL, TestBackends.newDatabase().toUrl());
    env.put(GatewayConfig.REDIS_URL, TestBackends.redisUrl());
    env.put(GatewayConfig.MASTER_KEY, TestGateway.TEST_MASTER_KEY);
    env.put(GatewayConfig.ADMIN_KEY, TestGateway.ADMIN_KEY);
    env.put(GatewayConfig.ISSUER, "http://localhost:1");
    env.put(GatewayConfig.HTTP_PORT, Integer.toString(TestBackends.freePort()));
    env.put(GatewayConfig.MANAGEMENT_PORT, Integer.toString(TestBackends.freePort()));
    Process process = builder.start();
    try {
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "exited");
      String text = Files.readString(log);
      assertEquals(1, process.exitValue(), text);
      assertTrue(text.contains("did not start: " + GatewayConfig.LOG_FORMAT + " must be json or text"), text);
    } finally {
      process.destroyForcibly();
    }
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
}
