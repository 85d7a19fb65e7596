package dev.portcullis.topology;

import dev.portcullis.testing.RedisProcesses;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

@DisplayName("PORTCULLIS_REDIS_MODE=cluster (three masters)")
class RedisClusterTest extends RedisTopologyContract {

  @BeforeAll
  static void start() {
    startOn(RedisProcesses.cluster(), "cluster");
  }
}
