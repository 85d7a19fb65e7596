package dev.portcullis.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
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
   * Error replies of a Redis that cannot serve right now (restart, failover, a script running too long), and
   * the client's own CONNECTION_CLOSED, raised as an error reply when the connection drops under a call.
   */
  private static final List<String> OUTAGES =
      List.of("LOADING", "READONLY", "MASTERDOWN", "BUSY", "CLUSTERDOWN", "TRYAGAIN", "OOM", "CONNECTION_CLOSED");

  private final Redis client;
  private final String prefix;
  private final long timeoutMs;

  private RedisStore(Redis client, String prefix, long timeoutMs) {
    this.client = client;
    this.prefix = prefix;
    this.timeoutMs = timeoutMs;
  }

  public static RedisStore create(Vertx vertx, GatewayConfig config) {
    RedisOptions options = new RedisOptions()
        .setConnectionString(config.redisUrl())
        .setMaxPoolSize(8)
        .setMaxPoolWaiting(4096)
        .setMaxWaitingHandlers(65536);
    options.getNetClientOptions().setConnectTimeout((int) config.backendTimeoutMs());
    return new RedisStore(Redis.createClient(vertx, options), config.redisPrefix(), config.backendTimeoutMs());
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

  /** The requests pipelined on one connection, written and read together; the replies in the same order. */
  public Future<List<Response>> batch(List<Request> requests) {
    return bounded(client.batch(requests));
  }

  private <T> Future<T> bounded(Future<T> reply) {
    return reply
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .recover(failure -> Failures.isBug(failure) || isErrorReply(failure) && !isOutage(failure)
            ? Future.failedFuture(failure)
            : Future.failedFuture(ApiException.unavailable("redis")));
  }

  private static boolean isOutage(Throwable error) {
    return OUTAGES.stream().anyMatch(kind -> isError(error, kind));
  }

  /** True when Redis answered with an error reply (as opposed to not answering at all). */
  private static boolean isErrorReply(Throwable failure) {
    return failure instanceof Response reply && reply.type() == ResponseType.ERROR;
  }

  /** True for an error reply of this kind, the word it starts with ({@code NOSCRIPT}, {@code LOADING}...). */
  public static boolean isError(Throwable failure, String kind) {
    String message = isErrorReply(failure) ? failure.getMessage() : null;
    return message != null && (message.startsWith(kind) || message.startsWith("-" + kind));
  }

  public Future<Void> close() {
    return client.close();
  }
}
