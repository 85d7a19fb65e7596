package dev.portcullis.app;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.util.UUID;

/**
 * App ids found to exist lately, shared by every verticle of one gateway process: an address refused for naming too
 * many ids that do not exist is still served the apps it names that do (their look-ups are cached, cheap), so a page
 * that makes its visitors' browsers ask for random ids cannot keep them from signing in to a real app. Each id is
 * remembered for {@link #TTL_MS} from its last request, at most {@link #MAX_ENTRIES} (the oldest goes first), and
 * dropped when a change to the app is announced ({@link AppDirectory#listen}).
 */
public final class KnownApps implements Shareable {

  static final long TTL_MS = 60_000;
  static final int MAX_ENTRIES = 10_000;
  private static final String MAP = "portcullis.known-apps";

  private final ExpiringIds ids = new ExpiringIds(MAX_ENTRIES);

  /** The one set of this Vert.x instance (one gateway process). */
  public static KnownApps of(Vertx vertx) {
    LocalMap<String, KnownApps> map = vertx.sharedData().getLocalMap(MAP);
    return map.computeIfAbsent("known", ignored -> new KnownApps());
  }

  /** Whether {@code id} is known at {@code nowMs}; if so, it is kept another {@link #TTL_MS} (it is in use). */
  public synchronized boolean keep(UUID id, long nowMs) {
    if (!ids.contains(id, nowMs)) {
      return false;
    }
    ids.put(id, nowMs + TTL_MS);
    return true;
  }

  public synchronized void remember(UUID id, long nowMs) {
    ids.put(id, nowMs + TTL_MS);
  }

  /** Drops an app whose existence or settings changed (a deleted one's requests are looked up again). */
  public synchronized void forget(UUID id) {
    ids.remove(id);
  }
}
