package dev.portcullis.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.RedisProcesses;
import dev.portcullis.testing.TestGateway;
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
    // Decisions are 503 until the old master follows the new one and a replica acknowledges again (README)
    redis.awaitReplicaInSync();
    Await.until("a send to be accepted by the new master", Duration.ofSeconds(45),
        () -> send("after-" + UUID.randomUUID() + "@example.com").status() == 200);
    // a pooled connection may still reach the old master for a moment (503, the decision not taken): ask again
    java.util.concurrent.atomic.AtomicReference<ApiResponse> again = new java.util.concurrent.atomic.AtomicReference<>();
    Await.until("the old code's verify answered by the new master", Duration.ofSeconds(15),
        () -> again.updateAndGet(previous -> verify(requestId, code)).status() != 503);
    assertEquals(401, again.get().status(), again.get().body());
    assertEquals("otp_expired", again.get().error());
    login("new-master-" + UUID.randomUUID() + "@example.com");
  }

  @Test
  @DisplayName("a consumed code waits for the replica's acknowledgement; unacknowledged, it is 503 while the sentinels "
      + "call the replica healthy (a fail-over could undo it), and stands once they call it down")
  void decisionsWaitForTheReplica() throws Exception {
    redis.awaitReplicaInSync();
    assertDecisionsAcknowledged();
    String earlyId = send("frozen-early-" + UUID.randomUUID() + "@example.com").json().getString("otp_request_id");
    String earlyCode = receiver.awaitCode(earlyId);
    String requestId = send("frozen-" + UUID.randomUUID() + "@example.com").json().getString("otp_request_id");
    String code = receiver.awaitCode(requestId);
    double before = unreplicatedWrites();
    try (AutoCloseable frozen = redis.freezeReplica()) {
      ApiResponse early = verify(earlyId, earlyCode);
      // Read after the answer: a replica the sentinel calls healthy now was healthy when the gateway asked.
      if (redis.replicaHealthyForFirstSentinel()) {
        assertEquals(503, early.status(), "no acknowledgement, no explanation: " + early.body());
        assertEquals("unavailable", early.error());
      }
      assertTrue(unreplicatedWrites() > before, "the unacknowledged decision is counted");
      Await.until("the sentinels to call the frozen replica down", Duration.ofSeconds(15),
          redis::replicaDownForSentinels);
      ApiResponse login = verify(requestId, code);
      assertEquals(200, login.status(), "with the replica down, the master alone holds the decision: " + login.body());
    }
    assertEquals("otp_expired", verify(requestId, code).error());
  }

  @Test
  @DisplayName("a configuration naming the wrong kind of Redis node stops the start with one message naming the key")
  void wrongKindOfNodeStopsTheStart() {
    int sentinel = Integer.parseInt(redis.nodesUrl().split(",")[0].replaceAll(".*:", ""));
    String master = "redis://127.0.0.1:" + redis.masterPort();
    java.util.Map<io.vertx.core.json.JsonObject, String> wrong = java.util.Map.of(
        new io.vertx.core.json.JsonObject().put(GatewayConfig.REDIS_MODE, "standalone")
            .put(GatewayConfig.REDIS_URL, "redis://127.0.0.1:" + sentinel), GatewayConfig.REDIS_MODE + "=sentinel",
        new io.vertx.core.json.JsonObject().put(GatewayConfig.REDIS_MODE, "sentinel")
            .put(GatewayConfig.REDIS_URL, redis.nodesUrl()).put(GatewayConfig.REDIS_MASTER_NAME, "nosuch"),
        GatewayConfig.REDIS_MASTER_NAME,
        new io.vertx.core.json.JsonObject().put(GatewayConfig.REDIS_MODE, "cluster").put(GatewayConfig.REDIS_URL, master),
        "is no Redis Cluster node",
        new io.vertx.core.json.JsonObject().put(GatewayConfig.REDIS_MODE, "sentinel").put(GatewayConfig.REDIS_URL, master),
        "is no Redis Sentinel");
    wrong.forEach((config, named) -> {
      IllegalStateException refused = assertThrows(IllegalStateException.class, () -> TestGateway.start(config));
      Throwable cause = refused.getCause();
      assertTrue(cause != null && cause.getMessage().contains(named), config + " -> " + cause);
    });
  }
}
