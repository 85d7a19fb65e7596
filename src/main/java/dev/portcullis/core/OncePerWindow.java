package dev.portcullis.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;

/**
 * At most one event per key and window, across gateway processes: the first caller of a window sets the key
 * ({@code SET NX} with the window as its expiry), later callers find it set. For reports a stranger can repeat
 * (a replayed token, a refused activation) so that each costs one webhook call and one audit row a window.
 */
public final class OncePerWindow {

  private final RedisStore redis;
  private final long windowMs;

  public OncePerWindow(RedisStore redis, long windowMs) {
    this.redis = redis;
    this.windowMs = windowMs;
  }

  /** The full key of a logical key, as {@link RedisStore#key}. */
  public String key(String... parts) {
    return redis.key(parts);
  }

  /** True for the first call on {@code key} (a full key) in its window; fails when Redis cannot answer. */
  public Future<Boolean> first(String key) {
    return redis.send(Command.SET, key, "1", "NX", "PX", Long.toString(windowMs))
        .map(reply -> reply != null);
  }

  /** As {@link #first}, but true also when Redis cannot answer: a repeated report is better than a lost one. */
  public Future<Boolean> firstOrUnknown(String key) {
    return first(key).otherwise(true);
  }

  /**
   * Opens the window again, then fails with {@code failure}: the first event was not recorded after all (its write
   * failed), so the next one must be. Best effort: a Redis that cannot answer leaves the window closed.
   */
  public <T> Future<T> forget(String key, Throwable failure) {
    return redis.send(Command.DEL, key).transform(deleted -> Future.failedFuture(failure));
  }
}
