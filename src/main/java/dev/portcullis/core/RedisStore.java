package dev.portcullis.core;

import io.vertx.core.CompositeFuture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Redis client of one verticle: every key carries the configured prefix, every call is bounded in
 * time, and a call that cannot reach Redis, or that Redis refuses because it is loading, read-only, busy or
 * without its master, fails with {@code 503 unavailable}. Atomic operations are {@link RedisScript}s.
 */
public final class RedisStore {

  /**
   * Error replies of a Redis that cannot serve right now (restart, failover, a script running too long, a master
   * short of the replicas its {@code min-replicas-to-write} asks for), and
   * the client's own CONNECTION_CLOSED, raised as an error reply when the connection drops under a call.
   */
  private static final List<String> OUTAGES =
      List.of("LOADING", "READONLY", "MASTERDOWN", "BUSY", "CLUSTERDOWN", "TRYAGAIN", "OOM", "CONNECTION_CLOSED",
          "NOREPLICAS");

  private static final java.util.regex.Pattern BATCH_ERROR = java.util.regex.Pattern.compile("-?ERR \\[\\d+\\] ");

  private final Redis client;
  private final String prefix;
  private final long timeoutMs;
  private final boolean pipelinesAcrossSlots;
  private final ReplicaAcks replicaAcks;

  private RedisStore(Redis client, String prefix, long timeoutMs, boolean pipelinesAcrossSlots, ReplicaAcks replicaAcks) {
    this.client = client;
    this.prefix = prefix;
    this.timeoutMs = timeoutMs;
    this.pipelinesAcrossSlots = pipelinesAcrossSlots;
    this.replicaAcks = replicaAcks;
  }

  public static RedisStore create(Vertx vertx, GatewayConfig config) {
    Redis client = RedisTopologies.client(vertx, config);
    return new RedisStore(client, config.redisPrefix(), config.backendTimeoutMs(),
        RedisTopologies.pipelinesAcrossSlots(config), new ReplicaAcks(vertx, config, client));
  }

  /** The full key of a logical key: {@code prefix + parts joined by ':'}. */
  public String key(String... parts) {
    return prefix + String.join(":", parts);
  }

  public Future<Response> send(Command command, Object... args) {
    return send(Request.cmd(command, args));
  }

  public Future<Response> send(Request request) {
    return bounded(client.send(request));
  }

  /**
   * A write that records a single-use decision (a consumed code, a revocation): answered once a replica holds it
   * too where a fail-over could otherwise lose it (see {@link ReplicaAcks}). {@code key}: the write's (first) key,
   * which in a Cluster names the master it goes to.
   */
  public Future<Response> sendDecision(String key, Request write) {
    if (!replicaAcks.enabled() || replicaAcks.noReplicaUp(key)) {
      return send(write);
    }
    // One batch, so one connection: WAIT counts the replicas holding this connection's writes. A Cluster sends a
    // batch to the master of its one keyed request.
    return pipelined(replicaAcks.withWait(write)).compose(replies -> RequestContext.carried(
        replicaAcks.writeReply(key, replies)));
  }

  /**
   * The requests pipelined on one connection, written and read together; the replies in the same order. On a
   * Cluster, whose keys live on different nodes, each request goes to its own node instead.
   */
  public Future<List<Response>> batch(List<Request> requests) {
    if (!pipelinesAcrossSlots) {
      return Future.all(requests.stream().map(this::send).toList()).map(CompositeFuture::list);
    }
    return pipelined(requests);
  }

  private Future<List<Response>> pipelined(List<Request> requests) {
    // A batch on a connection being switched to a new master (a Sentinel fail-over) can succeed with no replies.
    return bounded(client.batch(requests)).compose(replies -> replies == null || replies.size() != requests.size()
        ? Future.failedFuture(ApiException.unavailable("redis"))
        : Future.succeededFuture(replies));
  }

  private <T> Future<T> bounded(Future<T> reply) {
    return RequestContext.carried(reply)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .recover(failure -> Failures.isBug(failure) || isErrorReply(failure) && !isOutage(failure) && !isLostConnection(failure)
            ? Future.failedFuture(failure)
            : Future.failedFuture(ApiException.unavailable("redis")));
  }

  private static boolean isOutage(Throwable error) {
    return OUTAGES.stream().anyMatch(kind -> isError(error, kind));
  }

  /**
   * A pipeline whose connection closed under it (a master killed mid-batch): Vert.x reports the transport failure
   * as an error reply {@code ERR [i] <exception>}, which is no answer from Redis at all.
   */
  private static boolean isLostConnection(Throwable failure) {
    String message = failure.getMessage();
    return message != null && BATCH_ERROR.matcher(message).lookingAt() && message.contains("Exception");
  }

  /** True when Redis answered with an error reply (as opposed to not answering at all). */
  private static boolean isErrorReply(Throwable failure) {
    return failure instanceof Response reply && reply.type() == ResponseType.ERROR;
  }

  /**
   * True for an error reply of this kind, the word it starts with ({@code NOSCRIPT}, {@code LOADING}...), also
   * inside a pipeline's failure, which Vert.x reports as {@code ERR [i] <the reply>}.
   */
  public static boolean isError(Throwable failure, String kind) {
    String message = isErrorReply(failure) ? failure.getMessage() : null;
    if (message != null && BATCH_ERROR.matcher(message).lookingAt()) {
      message = message.substring(message.indexOf(']') + 2);
    }
    return message != null && (message.startsWith(kind) || message.startsWith("-" + kind));
  }

  public Future<Void> close() {
    return client.close().compose(closed -> replicaAcks.close());
  }
}
