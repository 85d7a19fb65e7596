package dev.portcullis.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What a Redis Cluster knows of the master a decision's key lives on ({@code CLUSTER NODES}, asked of that master):
 * whether a missing replica acknowledgement is explained. Every replica of that master failed, unable to take over
 * ({@code nofailover}), or none at all explains it, and the master alone holds the decision; a replica the cluster
 * still calls healthy, or a master it calls failing (a fail-over coming), does not. One instance belongs to one
 * verticle's event loop.
 */
final class ClusterView implements ReplicaAcks.Replicas {

  private static final Set<String> DOWN_FLAGS = Set.of("fail", "fail?", "noaddr", "handshake", "nofailover");
  private static final long FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  /** How often a view that lets decisions skip the wait is asked for again, behind them, while they flow. */
  private static final long RENEW_NANOS = TimeUnit.SECONDS.toNanos(5);
  private static final long NODES_TIMEOUT_MS = 300;
  private static final int SLOTS = 16384;

  private final Redis cluster;
  private final long timeoutMs;
  private Nodes known;
  private long knownAt;
  private Future<Nodes> asking;

  ClusterView(Redis cluster, GatewayConfig config) {
    this.cluster = cluster;
    this.timeoutMs = Math.min(config.backendTimeoutMs(), NODES_TIMEOUT_MS);
  }

  /** After a missed acknowledgement: a view at most half a second old, asked for when older. Unknown: not explained. */
  @Override
  public Future<Boolean> allDown(String key) {
    Future<Nodes> view = known != null && System.nanoTime() - knownAt <= FRESH_NANOS
        ? Future.succeededFuture(known) : ask(key);
    return view.map(nodes -> nodes.replicasAllDown(slot(key))).otherwise(false);
  }

  /**
   * Before a decision: whether the last view called every replica of the key's master down, however old, asking for
   * a fresher one behind the decision once it is 5 s old. So a cluster without replicas does not make a decision wait
   * 250 ms for an acknowledgement that cannot come, after an idle spell either, and a replica that came back is waited
   * for within 5 s. A view that saw a live replica is not asked for again: a missed acknowledgement asks
   * ({@link #allDown}), and a healthy cluster is never asked at all.
   */
  @Override
  public boolean knownAllDown(String key) {
    if (known == null || !known.replicasAllDown(slot(key))) {
      return false;
    }
    if (System.nanoTime() - knownAt > RENEW_NANOS) {
      ask(key);
    }
    return true;
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }

  /**
   * Asks the master of {@code key}: a keyless command alone goes to any node, a replica included (the one that hangs,
   * maybe), so it rides in a batch behind a read of the key, which the client sends to the key's master.
   */
  private Future<Nodes> ask(String key) {
    if (asking == null) {
      asking = cluster.batch(List.of(Request.cmd(Command.EXISTS).arg(key), Request.cmd(Command.CLUSTER).arg("NODES")))
          .timeout(timeoutMs, TimeUnit.MILLISECONDS)
          .map(replies -> Nodes.parse(replies.get(1).toString()))
          .onComplete(done -> {
            asking = null;
            if (done.succeeded()) {
              known = done.result();
              knownAt = System.nanoTime();
            }
          });
    }
    return asking;
  }

  /** The Cluster slot of a key: CRC16 (XMODEM) of its hash tag, or of the whole key without one. */
  static int slot(String key) {
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    int start = 0;
    int end = bytes.length;
    int open = key.indexOf('{');
    if (open >= 0) {
      int close = key.indexOf('}', open + 1);
      if (close > open + 1) {
        start = key.substring(0, open + 1).getBytes(StandardCharsets.UTF_8).length;
        end = key.substring(0, close).getBytes(StandardCharsets.UTF_8).length;
      }
    }
    int crc = 0;
    for (int i = start; i < end; i++) {
      crc ^= (bytes[i] & 0xff) << 8;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
    }
    return (crc & 0xffff) % SLOTS;
  }

  /** The masters by the slots they serve, and whether each has a replica that could take over. */
  record Nodes(int[] masterOfSlot, List<String> masters, Map<String, Boolean> masterUp,
               Map<String, Boolean> replicaUp) {

    boolean replicasAllDown(int slot) {
      int master = masterOfSlot[slot];
      if (master < 0) {
        return false;
      }
      String id = masters.get(master);
      return masterUp.get(id) && !replicaUp.getOrDefault(id, false);
    }

    /**
     * {@code CLUSTER NODES}: one line a node, {@code <id> <addr> <flags> <master-id> <ping> <pong> <epoch>
     * <link-state> <slot ranges...>}.
     */
    static Nodes parse(String text) {
      int[] masterOfSlot = new int[SLOTS];
      java.util.Arrays.fill(masterOfSlot, -1);
      List<String> masters = new ArrayList<>();
      Map<String, Boolean> masterUp = new HashMap<>();
      Map<String, Boolean> replicaUp = new HashMap<>();
      for (String line : text.split("\n")) {
        String[] fields = line.strip().split(" ");
        if (fields.length < 8) {
          continue;
        }
        Set<String> flags = Set.of(fields[2].split(","));
        boolean up = flags.stream().noneMatch(DOWN_FLAGS::contains) && "connected".equals(fields[7]);
        if (flags.contains("master")) {
          masterUp.put(fields[0], flags.stream().noneMatch(flag -> flag.startsWith("fail")));
          int index = masters.size();
          masters.add(fields[0]);
          for (int i = 8; i < fields.length; i++) {
            serve(masterOfSlot, fields[i], index);
          }
        } else if (flags.contains("slave") || flags.contains("replica")) {
          replicaUp.merge(fields[3], up, Boolean::logicalOr);
        }
      }
      return new Nodes(masterOfSlot, masters, masterUp, replicaUp);
    }

    /** A slot range ({@code 0-5460}) or slot; a slot being imported or migrated ({@code [...]}) stays its owner's. */
    private static void serve(int[] masterOfSlot, String range, int master) {
      if (range.startsWith("[")) {
        return;
      }
      int dash = range.indexOf('-');
      int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
      int to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1));
      for (int slot = from; slot <= to && slot < SLOTS; slot++) {
        masterOfSlot[slot] = master;
      }
    }
  }
}
