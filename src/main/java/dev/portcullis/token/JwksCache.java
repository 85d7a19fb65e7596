package dev.portcullis.token;

import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Each app's JWKS, built once per key change and kept in memory by one HTTP verticle: an app's entry is
 * dropped when its keys change ({@code APP_CHANGED}, from this process or relayed from another) and lives at
 * most {@link #TTL_MS} otherwise (a retired key's publication ending is not announced). Unknown app ids are
 * cached too (negative entries, bounded with the rest), so random ids cost no query each.
 *
 * <p>While Postgres cannot be reached, an app's JWKS is answered from the last one any verticle of the process
 * loaded (a Vert.x local map of encoded JSON, dropped on the app's change like the entries): API.md keeps the JWKS
 * answering through a store's outage, and no key can change meanwhile.
 */
final class JwksCache {

  static final long TTL_MS = 60_000;
  private static final int MAX_ENTRIES = 10_000;

  static final String LAST_LOADED_MAP = "portcullis.jwks.last-loaded";
  /** The app changes (AppMessages.Changed) that leave its signing keys as they were. */
  private static final Set<String> KEYS_UNCHANGED = Set.of("settings", "secret");

  private final SigningKeyStore keys;
  private final TtlCache<UUID, Optional<JsonObject>> cache = new TtlCache<>(TTL_MS, MAX_ENTRIES);
  private final LocalMap<String, String> lastLoaded;

  JwksCache(Vertx vertx, SigningKeyStore keys) {
    this.keys = keys;
    this.lastLoaded = vertx.sharedData().getLocalMap(LAST_LOADED_MAP);
  }

  /**
   * Drops an app's entry whenever any process announces a change to its keys or its existence. A change of its
   * settings or secret leaves its keys as they were: dropping the copy on those too left a JWKS that a PATCH had
   * touched unanswered through the next Postgres outage (h67).
   */
  JwksCache listen(Vertx vertx) {
    Bus.listen(vertx, Bus.APP_CHANGES_MISSED, missed -> cache.forgetIf(any -> true));
    Bus.listen(vertx, Bus.APP_CHANGED, changed -> {
      if (!KEYS_UNCHANGED.contains(changed.change())) {
        cache.forget(changed.appId());
        lastLoaded.remove(changed.appId().toString());
      }
    });
    return this;
  }

  /** Whether a copy of the app's JWKS is kept to answer while Postgres is unavailable. */
  boolean keepsLastLoaded(UUID appId) {
    return lastLoaded.containsKey(appId.toString());
  }

  /** The app's JWKS, or empty when there is no such app; the last one loaded while Postgres is unavailable. */
  Future<Optional<JsonObject>> of(UUID appId) {
    return cache.get(appId, this::load).recover(failure -> {
      String last = lastLoaded.get(appId.toString());
      return last != null && Failures.toApi(failure).code() == ErrorCode.UNAVAILABLE
          ? Future.succeededFuture(Optional.of(new JsonObject(last)))
          : Future.failedFuture(failure);
    });
  }

  private Future<Optional<JsonObject>> load(UUID appId) {
    return keys.published(appId).map(published -> {
      if (published == null) {
        lastLoaded.remove(appId.toString());
        return Optional.empty();
      }
      JsonObject jwks = Jwks.of(published);
      if (lastLoaded.size() >= MAX_ENTRIES) {
        lastLoaded.clear();
      }
      lastLoaded.put(appId.toString(), jwks.encode());
      return Optional.of(jwks);
    });
  }
}
