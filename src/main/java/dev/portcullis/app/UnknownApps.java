package dev.portcullis.app;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.util.UUID;

/**
 * App ids known not to exist, shared by every verticle of one gateway process: bounded to {@link #MAX_ENTRIES}
 * (the oldest goes first) and each remembered for {@link #TTL_MS}, so a flood of random app ids costs one
 * database query per id and process, not one per attempt. A change announced for an id (an app created with
 * it, from any process, through {@link AppChangeRelay}) drops it at once; a look-up that was under way when
 * such a change arrived does not put it back ({@link #epoch}).
 */
public final class UnknownApps implements Shareable {

  static final long TTL_MS = 30_000;
  static final int MAX_ENTRIES = 10_000;
  private static final String MAP = "portcullis.unknown-apps";

  private final ExpiringIds ids = new ExpiringIds(MAX_ENTRIES);
  private long epoch;

  /** The one set of this Vert.x instance (one gateway process). */
  public static UnknownApps of(Vertx vertx) {
    LocalMap<String, UnknownApps> map = vertx.sharedData().getLocalMap(MAP);
    return map.computeIfAbsent("unknown", ignored -> new UnknownApps());
  }

  /** Whether {@code id} is remembered as not existing. */
  public synchronized boolean contains(UUID id, long nowMs) {
    return ids.contains(id, nowMs);
  }

  /** The epoch to hand back to {@link #remember} once a look-up that started now found nothing. */
  public synchronized long epoch() {
    return epoch;
  }

  /** Remembers {@code id} as unknown, unless some id was forgotten since the look-up began. */
  public synchronized void remember(UUID id, long startedAtEpoch, long nowMs) {
    if (startedAtEpoch == epoch) {
      ids.put(id, nowMs + TTL_MS);
    }
  }

  public synchronized void forget(UUID id) {
    epoch++;
    ids.remove(id);
  }

  public synchronized void forgetAll() {
    epoch++;
    ids.clear();
  }

  public synchronized int size() {
    return ids.size();
  }
}
