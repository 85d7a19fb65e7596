package dev.portcullis.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.RedisProcesses;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PORTCULLIS_REDIS_MODE=cluster (three masters, each with a replica)")
class RedisClusterReplicaTest extends RedisTopologyContract {

  @BeforeAll
  static void start() {
    startOn(RedisProcesses.clusterWithReplicas(), "cluster", "cluster-replicas");
  }

  @Test
  @DisplayName("a consumed code waits for the acknowledgement of its master's replica; unacknowledged, it is 503 while "
      + "the cluster calls that replica healthy (a fail-over to it would bring the code back), and stands once it "
      + "calls the replica failing")
  void decisionsWaitForTheReplica() throws Exception {
    assertDecisionsAcknowledged();
    String earlyId = send("frozen-early-" + UUID.randomUUID() + "@example.com").json().getString("otp_request_id");
    String earlyCode = receiver.awaitCode(earlyId);
    String requestId = send("frozen-" + UUID.randomUUID() + "@example.com").json().getString("otp_request_id");
    String code = receiver.awaitCode(requestId);
    String appId = app.getString("app_id");
    double before = unreplicatedWrites();
    try (AutoCloseable frozen = redis.freezeClusterReplicaServing(appId)) {
      // The cluster calls a node failing after 5 s without an answer: well after this verify.
      ApiResponse unacknowledged = verify(earlyId, earlyCode);
      assertEquals(503, unacknowledged.status(), "no acknowledgement, no explanation: " + unacknowledged.body());
      assertEquals("unavailable", unacknowledged.error());
      assertTrue(unreplicatedWrites() > before, "the unacknowledged decision is counted");
      Await.until("the cluster to call the frozen replica failing", Duration.ofSeconds(30),
          () -> redis.clusterReplicaFailing(appId));
      // The client also connects to replicas: a new connection to the frozen one hangs until the slot map drops it
      // (README), so a send, a decision too, is retried with a new identity until one stands.
      Await.until("a decision to stand on the master alone", Duration.ofSeconds(30),
          () -> send("alone-" + UUID.randomUUID() + "@example.com").status() == 200);
      ApiResponse login = verify(requestId, code);
      assertEquals(200, login.status(), "with the replica failing, the master alone holds the decision: "
          + login.body());
    }
    assertEquals("otp_expired", verify(requestId, code).error());
  }
}
