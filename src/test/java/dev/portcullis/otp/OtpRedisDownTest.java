package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

@DisplayName("OTP while Redis is unreachable")
class OtpRedisDownTest {

  @Test
  @DisplayName("send and verify answer 503 unavailable with Retry-After, no code is accepted while Redis is down, "
      + "and OTP recovers by itself when Redis is back")
  void failsClosedAndRecovers() throws Exception {
    int port = TestBackends.freePort();
    try (WebhookReceiver receiver = new WebhookReceiver();
         TestGateway gateway = TestGateway.start(new JsonObject()
             .put(GatewayConfig.REDIS_URL, "redis://127.0.0.1:" + port)
             .put(GatewayConfig.OTP_EMAIL_CHANNEL, "webhook")
             .put(GatewayConfig.OTP_EMAIL_WEBHOOK_URL, receiver.url())
             .put(GatewayConfig.WEBHOOK_SECRET, "secret"))) {
      OtpClient client = OtpClient.forNewApp(gateway, "redis-down", new JsonObject());
      assertUnavailable(client.send("email", "judy@example.com"));
      assertUnavailable(client.verify(UUID.randomUUID().toString(), "123456"));

      RedisServer redis = startRedis(port);
      String requestId;
      try {
        Await.until("send-otp to recover", Duration.ofSeconds(15),
            () -> client.send("email", "judy@example.com").status() == 200);
        requestId = receiver.calls().get(receiver.calls().size() - 1).json().getString("otp_request_id");
      } finally {
        redis.stop();
      }
      String code = receiver.awaitCode(requestId);
      assertUnavailable(client.verify(requestId, code));
    }
  }

  private static RedisServer startRedis(int port) throws Exception {
    RedisServer redis = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
        .setting("dir " + Files.createTempDirectory("pc-otp-redis")).build();
    redis.start();
    return redis;
  }

  private static void assertUnavailable(ApiResponse response) {
    assertEquals(503, response.status(), response.body());
    assertEquals("unavailable", response.error());
    assertNotNull(response.header("Retry-After"));
    assertEquals(Long.parseLong(response.header("Retry-After")), response.json().getLong("retry_after"));
  }
}
