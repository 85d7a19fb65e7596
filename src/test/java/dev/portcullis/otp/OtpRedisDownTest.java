package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TempDirs;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
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
         TestGateway gateway = TestGateway.start(receiver.channels()
             .put(GatewayConfig.REDIS_URL, "redis://127.0.0.1:" + port))) {
      OtpClient client = OtpClient.forNewApp(gateway, "redis-down", new JsonObject());
      assertUnavailable(client.send("email", "judy@example.com"));
      assertUnavailable(client.verify(UUID.randomUUID().toString(), "123456"));

      RedisServer redis = startRedis(port);
      AtomicReference<ApiResponse> sent = new AtomicReference<>();
      try {
        Await.until("send-otp to recover", Duration.ofSeconds(15), () -> {
          sent.set(client.send("email", "judy@example.com"));
          return sent.get().status() == 200;
        });
      } finally {
        redis.stop();
      }
      String requestId = sent.get().json().getString("otp_request_id");
      String code = receiver.awaitCode(requestId);
      assertUnavailable(client.verify(requestId, code));
    }
  }

  private static RedisServer startRedis(int port) throws Exception {
    RedisServer redis = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
        .setting("dir " + TempDirs.create("pc-otp-redis")).build();
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
