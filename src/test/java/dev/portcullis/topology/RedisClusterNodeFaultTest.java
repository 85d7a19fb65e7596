package dev.portcullis.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.RedisProcesses;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PORTCULLIS_REDIS_MODE=cluster with a configured node down or hung")
@RunsAlone
class RedisClusterNodeFaultTest {

  private static final String SUBSCRIBER = "portcullis-subscriber:";

  @Test
  @DisplayName("the change subscriptions move on to another node when the first configured one is down (probe finding)")
  void subscriberSkipsADeadNode() {
    try (RedisProcesses cluster = RedisProcesses.cluster()) {
      String deadNode = "redis://127.0.0.1:" + TestBackends.freePort();
      try (TestGateway gateway = TestGateway.start(new JsonObject()
          .put(GatewayConfig.REDIS_MODE, "cluster")
          .put(GatewayConfig.REDIS_URL, deadNode + "," + cluster.nodesUrl()))) {
        awaitSubscriberOn(cluster, cluster.dataPorts());
      }
    }
  }

  /**
   * A node that takes connections and never answers (a hung process, a frozen VM): the client asked the first
   * configured node for the slot map, and waited for it for ever.
   */
  @Test
  @DisplayName("a first configured node that accepts connections and never answers holds up neither logins nor the "
      + "change subscriptions")
  void hungFirstNodeAtStart() throws IOException {
    try (RedisProcesses cluster = RedisProcesses.cluster();
        ServerSocket hung = new ServerSocket(0, 200, InetAddress.getLoopbackAddress())) {
      String hungNode = "redis://127.0.0.1:" + hung.getLocalPort();
      try (TestGateway gateway = TestGateway.start(new JsonObject()
          .put(GatewayConfig.REDIS_MODE, "cluster")
          .put(GatewayConfig.REDIS_URL, hungNode + "," + cluster.nodesUrl()))) {
        JsonObject credentials = credentials(gateway);
        everySendSucceedsFor(gateway, credentials, Duration.ofSeconds(4));
        awaitSubscriberOn(cluster, cluster.dataPorts());
      }
    }
  }

  /**
   * The first configured node hangs while the gateway runs. It holds no slots, so the Cluster serves every key
   * without it; the client kept asking it for the slot map once a second and the subscription kept listening there.
   */
  @Test
  @DisplayName("when the first configured node hangs under a running gateway, logins answer 200 again within seconds "
      + "(one slot-map refresh may wait for the hung connection to be closed) and stay 200, and the change "
      + "subscriptions move to a node that answers")
  void firstNodeHangsWhileRunning() throws Exception {
    try (RedisProcesses cluster = RedisProcesses.cluster()) {
      int first = cluster.addEmptyMaster();
      try (TestGateway gateway = TestGateway.start(new JsonObject()
          .put(GatewayConfig.REDIS_MODE, "cluster")
          .put(GatewayConfig.REDIS_URL, cluster.nodesUrl()))) {
        JsonObject credentials = credentials(gateway);
        assertEquals(200, send(gateway, credentials).status());
        awaitSubscriberOn(cluster, List.of(first));

        List<Integer> others = cluster.dataPorts().stream().filter(port -> port != first).toList();
        try (AutoCloseable frozen = cluster.freeze(first)) {
          // a slot-map refresh that went to the node just as it hung waits for its connection to be closed as hung
          Await.until("sends to answer 200 for 3 s in a row with the first node hung", Duration.ofSeconds(40),
              () -> sendsSucceedFor(gateway, credentials, Duration.ofSeconds(3)));
          everySendSucceedsFor(gateway, credentials, Duration.ofSeconds(4));
          awaitSubscriberOn(cluster, others);
        }
      }
    }
  }

  /** Sends codes to new identities one after another for that long (several slot-map refreshes): each one 200. */
  private static void everySendSucceedsFor(TestGateway gateway, JsonObject credentials, Duration period) {
    long end = System.nanoTime() + period.toNanos();
    while (System.nanoTime() < end) {
      ApiResponse sent = send(gateway, credentials);
      assertEquals(200, sent.status(), sent.toString());
    }
  }

  /** Whether sends to new identities, one after another, answered 200 for that long. */
  private static boolean sendsSucceedFor(TestGateway gateway, JsonObject credentials, Duration period) {
    long end = System.nanoTime() + period.toNanos();
    while (System.nanoTime() < end) {
      if (send(gateway, credentials).status() != 200) {
        return false;
      }
    }
    return true;
  }

  private static void awaitSubscriberOn(RedisProcesses cluster, List<Integer> ports) {
    Await.until("a subscriber on one of " + ports, Duration.ofSeconds(20), () -> ports.stream()
        .anyMatch(port -> RedisProcesses.cli(port, "CLIENT", "LIST").contains(SUBSCRIBER)));
  }

  private static JsonObject credentials(TestGateway gateway) {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Hung node").put("slug", "hung-node"));
    return new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"));
  }

  /**
   * A code for a new identity from a network of its own: these tests send for seconds on end, which the limits on
   * sends without a client_ip, or from one network, would cut short on a fast machine.
   */
  private static ApiResponse send(TestGateway gateway, JsonObject credentials) {
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    String clientIp = "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + (1 + random.nextInt(254));
    return gateway.http().post("/auth/send-otp", credentials.copy().put("email", UUID.randomUUID() + "@example.com")
        .put("client_ip", clientIp));
  }
}
