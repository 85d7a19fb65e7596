package dev.portcullis.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
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
final class SentinelView {

  private static final Set<String> DOWN_FLAGS = Set.of("s_down", "o_down", "disconnected");
  private static final long FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private final List<Redis> sentinels;
  private final String masterName;
  private final long timeoutMs;
  private Future<Boolean> recent;
  private long askedAt;

  SentinelView(Vertx vertx, GatewayConfig config) {
    this.sentinels = config.redisNodes().stream()
        .map(node -> {
          RedisOptions options = new RedisOptions().setType(RedisClientType.STANDALONE).setConnectionString(node)
              .setMaxPoolSize(1).setMaxPoolWaiting(64);
          options.getNetClientOptions().setConnectTimeout((int) config.backendTimeoutMs())
              .setHostnameVerificationAlgorithm("HTTPS");
          return Redis.createClient(vertx, options);
        })
        .toList();
    this.masterName = config.redisMasterName();
    this.timeoutMs = config.backendTimeoutMs();
  }

  /**
   * True when the sentinels see no fail-over under way and every replica of the master down; false otherwise. One
   * answer serves the decisions of the next half second: with a replica down, every decision asks.
   */
  Future<Boolean> replicasAllDown() {
    long now = System.nanoTime();
    if (recent == null || now - askedAt > FRESH_NANOS) {
      askedAt = now;
      recent = ask(0);
    }
    return recent;
  }

  private Future<Boolean> ask(int index) {
    if (index >= sentinels.size()) {
      return Future.succeededFuture(false);
    }
    Redis sentinel = sentinels.get(index);
    return sentinel.send(Request.cmd(Command.SENTINEL).arg("MASTER").arg(masterName))
        .compose(master -> flags(master).contains("failover_in_progress") ? Future.succeededFuture(false)
            : sentinel.send(Request.cmd(Command.SENTINEL).arg("REPLICAS").arg(masterName))
                .map(SentinelView::allDown))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .recover(unanswered -> ask(index + 1));
  }

  Future<Void> close() {
    return Future.all(sentinels.stream().map(Redis::close).toList()).mapEmpty();
  }

  private static boolean allDown(Response replicas) {
    for (Response replica : replicas) {
      if (flags(replica).stream().noneMatch(DOWN_FLAGS::contains)) {
        return false;
      }
    }
    return true;
  }

  /** The flags field of a sentinel's description of an instance: a map in RESP3, key-value pairs in RESP2. */
  private static List<String> flags(Response instance) {
    if (instance.isMap()) {
      Response flags = instance.get("flags");
      return flags == null ? List.of() : List.of(flags.toString().split(","));
    }
    for (int i = 0; i + 1 < instance.size(); i += 2) {
      if ("flags".equals(instance.get(i).toString())) {
        return List.of(instance.get(i + 1).toString().split(","));
      }
    }
    return List.of();
  }
}
