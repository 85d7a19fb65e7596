package dev.portcullis.topology;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.RedisProcesses;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PORTCULLIS_REDIS_MODE=cluster with a configured node down")
class RedisClusterSubscriberTest {

  @Test
  @DisplayName("the change subscriptions move on to another node when the first configured one is down (probe finding)")
  void subscriberSkipsADeadNode() {
    try (RedisProcesses cluster = RedisProcesses.cluster()) {
      String deadNode = "redis://127.0.0.1:" + TestBackends.freePort();
      try (TestGateway gateway = TestGateway.start(new JsonObject()
          .put(GatewayConfig.REDIS_MODE, "cluster")
          .put(GatewayConfig.REDIS_URL, deadNode + "," + cluster.nodesUrl()))) {
        Await.until("a subscriber on a live node", Duration.ofSeconds(20), () -> cluster.dataPorts().stream()
            .anyMatch(port -> RedisProcesses.cli(port, "CLIENT", "LIST").contains("portcullis-subscriber:")));
      }
    }
  }
}
