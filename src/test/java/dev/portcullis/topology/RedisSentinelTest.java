package dev.portcullis.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.RedisProcesses;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PORTCULLIS_REDIS_MODE=sentinel (one master, one replica, three sentinels)")
class RedisSentinelTest extends RedisTopologyContract {

  @BeforeAll
  static void start() {
    startOn(RedisProcesses.sentinelSet(), "sentinel");
  }

  @Test
  @DisplayName("after a fail-over a code consumed before it stays consumed, and new logins work on the new master")
  void failover() {
    String requestId = send("failover-" + UUID.randomUUID() + "@example.com").json().getString("otp_request_id");
    String code = receiver.awaitCode(requestId);
    assertEquals(200, verify(requestId, code).status());
    int before = redis.masterPort();

    int after = redis.failover();

    assertNotEquals(before, after);
    Await.until("a send to be accepted by the new master", Duration.ofSeconds(15),
        () -> send("after-" + UUID.randomUUID() + "@example.com").status() == 200);
    ApiResponse again = verify(requestId, code);
    assertEquals(401, again.status(), again.body());
    assertEquals("otp_expired", again.error());
    login("new-master-" + UUID.randomUUID() + "@example.com");
  }
}
