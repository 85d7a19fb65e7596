package dev.portcullis.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What the sentinels know of the master: whether a missing replica acknowledgement is explained. A replica the
 * sentinels call down (or none at all) explains it, and the master alone holds a decision until one comes back; a
 * replica they still call healthy, or a fail-over in progress, does not: the write may be on a master that is being
 * replaced, and a decision acted on there could be undone. One instance belongs to one verticle's event loop.
 */
final class SentinelView implements ReplicaAcks.Replicas {

  private static final Set<String> DOWN_FLAGS = Set.of("s_down", "o_down", "disconnected");
  private static final long FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  /** How long one sentinel may take to answer: they answer from memory, and a hung one must not hold decisions. */
  private static final long SENTINEL_TIMEOUT_MS = 300;

  private final List<Redis> sentinels;
  private final String masterName;
  private final long timeoutMs;
  private Future<Boolean> recent;
  private long askedAt;

  SentinelView(Vertx vertx, GatewayConfig config) {
    this.sentinels = config.redisNodes().stream()
        .map(node -> Redis.createClient(vertx, RedisTopologies.nodeOptions(config, node).setMaxPoolWaiting(64)))
        .toList();
    this.masterName = config.redisMasterName();
    this.timeoutMs = Math.min(config.backendTimeoutMs(), SENTINEL_TIMEOUT_MS);
  }

  /**
   * True when a majority of the configured sentinels see no fail-over under way and every replica of the master
   * down, or long out of touch; false otherwise (one sentinel on the wrong side of a partition is not enough). One
   * answer serves the decisions of the next half second. The sentinels watch one master, whatever the key.
   */
  @Override
  public Future<Boolean> allDown(String key) {
    long now = System.nanoTime();
    if (recent == null || now - askedAt > FRESH_NANOS) {
      askedAt = now;
      List<Future<Boolean>> answers = sentinels.stream().map(this::ask).toList();
      recent = Future.join(answers).transform(done -> Future.succeededFuture(
          answers.stream().filter(answer -> answer.succeeded() && answer.result()).count() > sentinels.size() / 2));
    }
    return recent;
  }

  @Override
  public boolean knownAllDown(String key) {
    return recent != null && System.nanoTime() - askedAt <= FRESH_NANOS && recent.succeeded() && recent.result();
  }

  private Future<Boolean> ask(Redis sentinel) {
    return sentinel.send(Request.cmd(Command.SENTINEL).arg("MASTER").arg(masterName))
        .compose(master -> flags(master).contains("failover_in_progress") ? Future.succeededFuture(false)
            : sentinel.send(Request.cmd(Command.SENTINEL).arg("REPLICAS").arg(masterName))
                .map(replicas -> allDown(replicas, number(field(master, "down-after-milliseconds")))))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS);
  }

  @Override
  public Future<Void> close() {
    return Future.all(sentinels.stream().map(Redis::close).toList()).mapEmpty();
  }

  /**
   * Every replica is down, or has not replicated from the master for longer than a sentinel would still promote it
   * (ten times {@code down-after-milliseconds}, as Sentinel's replica selection counts): none of them could
   * acknowledge, nor take over with less than the master holds. A replica in a fresh resync is still promotable,
   * so it does not count as down.
   */
  private static boolean allDown(Response replicas, long downAfterMs) {
    for (Response replica : replicas) {
      boolean down = flags(replica).stream().anyMatch(DOWN_FLAGS::contains)
          || !"ok".equals(field(replica, "master-link-status"))
          && downAfterMs > 0 && number(field(replica, "master-link-down-time")) > 10 * downAfterMs;
      if (!down) {
        return false;
      }
    }
    return true;
  }

  private static long number(String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static List<String> flags(Response instance) {
    return List.of(field(instance, "flags").split(","));
  }

  /** A field of a sentinel's description of an instance (a map in RESP3, key-value pairs in RESP2), or "". */
  private static String field(Response instance, String name) {
    if (instance.isMap()) {
      Response value = instance.get(name);
      return value == null ? "" : value.toString();
    }
    for (int i = 0; i + 1 < instance.size(); i += 2) {
      if (name.equals(instance.get(i).toString())) {
        return instance.get(i + 1).toString();
      }
    }
    return "";
  }
}
