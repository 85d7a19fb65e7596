package dev.portcullis.token;

import dev.portcullis.core.Bus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.UUID;

/**
 * Each app's JWKS, built once per key change and kept in memory by one HTTP verticle: an app's entry is
 * dropped when its keys change ({@code APP_CHANGED}, from this process or relayed from another) and lives at
 * most {@link #TTL_MS} otherwise (a retired key's publication ending is not announced). Unknown app ids are
 * cached too (negative entries, bounded with the rest), so random ids cost no query each.
 */
final class JwksCache {

  static final long TTL_MS = 60_000;
  private static final int MAX_ENTRIES = 10_000;

  private final SigningKeyStore keys;
  private final TtlCache<UUID, Optional<JsonObject>> cache = new TtlCache<>(TTL_MS, MAX_ENTRIES);

  JwksCache(SigningKeyStore keys) {
    this.keys = keys;
  }

  /** Drops an app's entry whenever any process announces a change to it (its keys, or its existence). */
  JwksCache listen(Vertx vertx) {
    Bus.listen(vertx, Bus.APP_CHANGED, changed -> cache.forget(changed.appId()));
    return this;
  }

  /** The app's JWKS, or empty when there is no such app. */
  Future<Optional<JsonObject>> of(UUID appId) {
    return cache.get(appId, id -> keys.published(id)
        .map(published -> published == null ? Optional.<JsonObject>empty() : Optional.of(Jwks.of(published))));
  }
}
