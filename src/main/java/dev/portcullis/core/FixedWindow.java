package dev.portcullis.core;

import io.vertx.core.Future;
import java.util.List;

/** A limit of events per fixed window, counted in Redis so it holds across gateway processes. */
public final class FixedWindow {

  private static final RedisScript COUNT = RedisScript.load("fixed-window.lua");

  private final RedisStore redis;
  private final int limit;
  private final long windowMs;

  public FixedWindow(RedisStore redis, int limit, long windowMs) {
    this.redis = redis;
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Counts one event on {@code key}: 0 when it is within the limit, else the seconds until the window ends. */
  public Future<Long> count(String key) {
    return COUNT.run(redis, List.of(key), List.of(Integer.toString(limit), Long.toString(windowMs)))
        .map(reply -> reply.get(0).toInteger() == 1 ? 0L : Math.max(1, (reply.get(1).toLong() + 999) / 1000));
  }
}
