package dev.portcullis.core;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * Waits for a replica to hold a decision before the gateway acts on it, where a fail-over would otherwise lose
 * it. Sentinel promotes a replica, and replication is asynchronous: a code consumed on the old master a moment
 * before it died would verify again on the new one. So in sentinel and cluster mode a decision's write is pipelined
 * with {@code WAIT 1 <ms>} on the same connection (in a Cluster, to the master of the write's key), and its answer
 * waits for the replica's acknowledgement. When no replica acknowledges in time,
 * {@code portcullis_redis_unreplicated_writes_total} counts it, and the topology is asked why ({@link SentinelView},
 * {@link ClusterView}): with every replica down (or none) the decision stands on the master alone; with a replica
 * still called healthy, or a fail-over under way (a planned one promotes the replica while the old master still
 * takes writes, which it drops when it follows the new one), the answer is {@code 503 unavailable}, never a decision
 * a fail-over could undo. A replica that dies is thus felt until the sentinels or the cluster call it down.
 */
final class ReplicaAcks {

  /** Whether the replicas of the master holding a key are all down (or none), by what the topology says of them. */
  interface Replicas {

    /** Asked afresh at most every half second: true when every replica of the key's master is down. */
    Future<Boolean> allDown(String key);

    /** True while the topology's last answer says so (each view says how long that holds): no wait then. */
    boolean knownAllDown(String key);

    Future<Void> close();
  }

  /** How long a decision waits for its replica; a healthy replica on the same network answers in a millisecond. */
  static final long TIMEOUT_MS = 250;

  private final Counter unreplicated;
  private final Replicas replicas;

  /** {@code client}: the gateway's own client, which a Cluster's view is asked through. */
  ReplicaAcks(Vertx vertx, GatewayConfig config, Redis client) {
    this.replicas = switch (config.redisMode()) {
      case SENTINEL -> new SentinelView(vertx, config);
      case CLUSTER -> new ClusterView(client, config);
      case STANDALONE -> null;
    };
    this.unreplicated = Counter.builder("portcullis.redis.unreplicated.writes")
        .description("Redis writes of single-use decisions that stood on a master alone: no replica acknowledged "
            + "them within " + TIMEOUT_MS + " ms, or none was up")
        .register(Metrics.registry(vertx));
  }

  boolean enabled() {
    return replicas != null;
  }

  /**
   * While the topology just said no replica of the key's master is up (a lone master, a replica dead), a decision
   * stands on the master alone without waiting 250 ms for an acknowledgement that cannot come: counted, and sent
   * plainly.
   */
  boolean noReplicaUp(String key) {
    if (replicas.knownAllDown(key)) {
      unreplicated.increment();
      return true;
    }
    return false;
  }

  Future<Void> close() {
    return replicas == null ? Future.succeededFuture() : replicas.close();
  }

  List<Request> withWait(Request write) {
    return List.of(write, Request.cmd(Command.WAIT).arg(1).arg(TIMEOUT_MS));
  }

  /** The write's own reply once it stands: acknowledged, or unacknowledged with every replica down. */
  Future<Response> writeReply(String key, List<Response> replies) {
    if (replies.get(1).toInteger() >= 1) {
      return Future.succeededFuture(replies.get(0));
    }
    unreplicated.increment();
    return replicas.allDown(key).compose(explained -> explained ? Future.succeededFuture(replies.get(0))
        : Future.failedFuture(ApiException.unavailable("redis")));
  }
}
