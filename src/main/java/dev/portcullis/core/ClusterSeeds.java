package dev.portcullis.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClusterConnectOptions;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The configured Cluster nodes in the order the client asks them for the slot map: those that answered a PING
 * lately first. The client asks them one after another, so a first node that hangs (it takes the connection and
 * never answers) held every request up for as long as it hung, and the nodes behind it were never asked. The nodes
 * are pinged at most once a second, and only while the client connects; the first answer, and the first after an
 * idle spell, waits for that round.
 * One instance belongs to one client, on one verticle's event loop.
 */
final class ClusterSeeds implements Supplier<Future<RedisClusterConnectOptions>> {

  private static final long PROBE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long WAIT_AFTER_NANOS = TimeUnit.SECONDS.toNanos(3);
  /** Nodes answer a PING from memory; one slower than this is behind the others for the next second. */
  private static final long PING_TIMEOUT_MS = 300;

  private final RedisOptions options;
  private final List<String> nodes;
  private final List<Redis> probes;
  private Future<RedisClusterConnectOptions> ordered;
  private boolean probing;
  private long probedAt;

  ClusterSeeds(Vertx vertx, GatewayConfig config, RedisOptions options) {
    this.options = options;
    this.nodes = config.redisNodes();
    this.probes = nodes.stream()
        .map(node -> Redis.createClient(vertx, RedisTopologies.nodeOptions(config, node)))
        .toList();
  }

  /**
   * The order of the last probe while it is fresh; a probe over a second old is renewed behind the scenes, and
   * one over {@link #WAIT_AFTER_NANOS} old (the first, or after an idle spell, when a node may have hung meanwhile) is
   * waited for: at most one ping timeout.
   */
  @Override
  public Future<RedisClusterConnectOptions> get() {
    long age = System.nanoTime() - probedAt;
    if (!probing && (ordered == null || age > PROBE_EVERY_NANOS)) {
      Future<RedisClusterConnectOptions> next = probe();
      if (ordered == null || age > WAIT_AFTER_NANOS) {
        ordered = next;
      } else {
        next.onSuccess(answer -> ordered = Future.succeededFuture(answer));
      }
    }
    return ordered;
  }

  private Future<RedisClusterConnectOptions> probe() {
    probing = true;
    probedAt = System.nanoTime();
    List<Future<Boolean>> answers = probes.stream()
        .map(probe -> probe.send(Request.cmd(Command.PING))
            .timeout(PING_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .map(pong -> true)
            .otherwise(false))
        .toList();
    return Future.all(answers).map(done -> {
      probing = false;
      List<String> answering = new ArrayList<>();
      List<String> silent = new ArrayList<>();
      for (int i = 0; i < nodes.size(); i++) {
        (answers.get(i).result() ? answering : silent).add(nodes.get(i));
      }
      answering.addAll(silent);
      return new RedisClusterConnectOptions(options).setEndpoints(answering);
    });
  }

  Future<Void> close() {
    return Future.all(probes.stream().map(Redis::close).toList()).mapEmpty();
  }
}
