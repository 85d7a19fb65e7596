package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("What a Redis Cluster says of the master a decision's key lives on")
class ClusterViewTest {

  @Test
  @DisplayName("a key's slot is the one CLUSTER KEYSLOT answers (values read off redis-server 7.0)")
  void slots() {
    assertEquals(12182, ClusterView.slot("foo"));
    assertEquals(3443, ClusterView.slot("{user1000}.following"));
    assertEquals(9944, ClusterView.slot("pc:otp:{8f0e-a}:x"));
    assertEquals(7353, ClusterView.slot("a{}b{c}"));
    assertEquals(15257, ClusterView.slot("{}"));
    assertEquals(9552, ClusterView.slot("héllo{ü}"));
  }

  @Test
  @DisplayName("a master's replicas are all down when each is failing, disconnected or unable to take over, and not "
      + "while one is healthy or the master itself is failing")
  void replicasOfTheSlotsMaster() {
    String nodes = String.join("\n",
        "m1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191",
        "m2 127.0.0.1:7001@17001 master - 0 0 2 connected 8192-16383 [9000->-m1]",
        "r1 127.0.0.1:7002@17002 slave,fail m1 0 0 1 connected",
        "r2 127.0.0.1:7003@17003 slave m2 0 0 2 connected",
        "r3 127.0.0.1:7004@17004 slave m2 0 0 2 disconnected",
        "");
    ClusterView.Nodes view = ClusterView.Nodes.parse(nodes);
    assertTrue(view.replicasAllDown(0), "m1's only replica is failing");
    assertFalse(view.replicasAllDown(16383), "m2 has a healthy replica");
    assertFalse(view.replicasAllDown(9000), "a migrating slot stays its owner's");

    ClusterView.Nodes degraded = ClusterView.Nodes.parse(nodes
        .replace("r2 127.0.0.1:7003@17003 slave m2", "r2 127.0.0.1:7003@17003 slave,nofailover m2")
        .replace("m1 127.0.0.1:7000@17000 myself,master", "m1 127.0.0.1:7000@17000 myself,master,fail?"));
    assertTrue(degraded.replicasAllDown(16383), "m2's replicas: one cannot take over, one disconnected");
    assertFalse(degraded.replicasAllDown(0), "m1 itself is failing: a fail-over may come");
  }
}
