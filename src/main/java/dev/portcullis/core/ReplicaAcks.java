package dev.portcullis.core;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * Waits for a replica to hold a decision before the gateway acts on it, where a fail-over would otherwise lose
 * it. Sentinel promotes a replica, and replication is asynchronous: a code consumed on the old master a moment
 * before it died would verify again on the new one. So in sentinel mode a decision's write is pipelined with
 * {@code WAIT 1 <ms>} on the same connection, and its answer waits for the replica's acknowledgement. When no
 * replica acknowledges in time, {@code portcullis_redis_unreplicated_writes_total} counts it, and the sentinels are
 * asked why ({@link SentinelView}): with every replica down (or none) the decision stands on the master alone; with
 * a replica they still
 * call healthy, or a fail-over under way (a planned one promotes the replica while the old master still takes
 * writes, which it drops when it follows the new one), the answer is {@code 503 unavailable}, never a decision a
 * fail-over could undo. A replica that dies is thus felt for the sentinels' down-after-milliseconds.
 */
final class ReplicaAcks {

  /** How long a decision waits for its replica; a healthy replica on the same network answers in a millisecond. */
  static final long TIMEOUT_MS = 250;

  private final boolean enabled;
  private final Counter unreplicated;
  private final SentinelView sentinels;

  ReplicaAcks(Vertx vertx, GatewayConfig config) {
    this.enabled = config.redisMode() == GatewayConfig.RedisMode.SENTINEL;
    this.sentinels = enabled ? new SentinelView(vertx, config) : null;
    this.unreplicated = Counter.builder("portcullis.redis.unreplicated.writes")
        .description("Redis writes of single-use decisions that no replica acknowledged within " + TIMEOUT_MS + " ms")
        .register(Metrics.registry(vertx));
  }

  boolean enabled() {
    return enabled;
  }

  /**
   * While the sentinels just said no replica is up (a lone master, a replica dead), a decision stands on the master
   * alone without waiting 250 ms for an acknowledgement that cannot come: counted, and sent plainly.
   */
  boolean noReplicaUp() {
    if (sentinels.knownAllDown()) {
      unreplicated.increment();
      return true;
    }
    return false;
  }

  Future<Void> close() {
    return sentinels == null ? Future.succeededFuture() : sentinels.close();
  }

  List<Request> withWait(Request write) {
    return List.of(write, Request.cmd(Command.WAIT).arg(1).arg(TIMEOUT_MS));
  }

  /** The write's own reply once it stands: acknowledged, or unacknowledged with every replica down. */
  Future<Response> writeReply(List<Response> replies) {
    if (replies.get(1).toInteger() >= 1) {
      return Future.succeededFuture(replies.get(0));
    }
    unreplicated.increment();
    return sentinels.replicasAllDown().compose(explained -> explained ? Future.succeededFuture(replies.get(0))
        : Future.failedFuture(ApiException.unavailable("redis")));
  }
}
