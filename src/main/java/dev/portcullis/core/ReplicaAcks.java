package dev.portcullis.core;

import io.micrometer.core.instrument.Counter;
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
 * replica acknowledges in time (none is up), the decision still stands on the master, and
 * {@code portcullis_redis_unreplicated_writes_total} counts it for the operator.
 */
final class ReplicaAcks {

  /** How long a decision waits for its replica; a healthy replica on the same network answers in a millisecond. */
  static final long TIMEOUT_MS = 250;

  private final boolean enabled;
  private final Counter unreplicated;

  ReplicaAcks(Vertx vertx, GatewayConfig config) {
    this.enabled = config.redisMode() == GatewayConfig.RedisMode.SENTINEL;
    this.unreplicated = Counter.builder("portcullis.redis.unreplicated.writes")
        .description("Redis writes of single-use decisions that no replica acknowledged within " + TIMEOUT_MS + " ms")
        .register(Metrics.registry(vertx));
  }

  boolean enabled() {
    return enabled;
  }

  List<Request> withWait(Request write) {
    return List.of(write, Request.cmd(Command.WAIT).arg(1).arg(TIMEOUT_MS));
  }

  /** The write's own reply, after counting a write no replica acknowledged. */
  Response writeReply(List<Response> replies) {
    if (replies.get(1).toInteger() < 1) {
      unreplicated.increment();
    }
    return replies.get(0);
  }
}
