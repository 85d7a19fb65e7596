package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Secrets;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Client authentication for one HTTP verticle: apps cached for at most {@link #TTL_NANOS}, so a rotated
 * secret or a deleted app stops working on every gateway process within half a second. Not shared between
 * verticle instances (each event loop keeps its own).
 *
 * <p>Unknown app, wrong secret and missing credentials all cost one HMAC and one cache look-up (a missing
 * app is cached too), and all fail with the same {@code 401 invalid_client}.
 */
public final class AppDirectory {

  static final long TTL_NANOS = 500_000_000L;
  private static final byte[] NO_MATCH = new byte[32];

  private record Entry(Optional<App> app, long loadedAt) {
  }

  private final AppRepository apps;
  private final MasterKey masterKey;
  private final Map<UUID, Entry> cache = new HashMap<>();

  public AppDirectory(AppRepository apps, MasterKey masterKey) {
    this.apps = apps;
    this.masterKey = masterKey;
  }

  public Future<App> authenticate(String appId, String secret) {
    UUID id = parseUuid(appId);
    byte[] presented = masterKey.appSecretHash(secret == null ? "" : secret);
    if (id == null) {
      Secrets.constantTimeEquals(presented, NO_MATCH);
      return Future.failedFuture(invalidClient());
    }
    return find(id).compose(app -> {
      byte[] expected = app.map(App::secretHash).orElse(NO_MATCH);
      boolean match = Secrets.constantTimeEquals(presented, expected.length == 32 ? expected : NO_MATCH);
      return match && secret != null && app.isPresent()
          ? Future.succeededFuture(app.get())
          : Future.failedFuture(invalidClient());
    });
  }

  /** The app by id through the cache. */
  public Future<Optional<App>> find(UUID id) {
    long now = System.nanoTime();
    Entry entry = cache.get(id);
    if (entry != null && now - entry.loadedAt() < TTL_NANOS) {
      return Future.succeededFuture(entry.app());
    }
    return apps.find(id).map(app -> {
      Optional<App> found = Optional.ofNullable(app);
      if (cache.size() > 100_000) {
        cache.clear();
      }
      cache.put(id, new Entry(found, now));
      return found;
    });
  }

  public void forget(UUID id) {
    cache.remove(id);
  }

  public static ApiException invalidClient() {
    return new ApiException(ErrorCode.INVALID_CLIENT, "app_id or app_secret is missing or wrong");
  }

  public static UUID parseUuid(String text) {
    if (text == null || text.length() != 36) {
      return null;
    }
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
