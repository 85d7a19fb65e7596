package dev.portcullis.token;

import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A small cache for one verticle instance (one event loop, so no locks): entries live {@code ttlNanos}, and
 * concurrent misses of one key share a single load. Never shared between verticle instances.
 */
final class TtlCache<K, V> {

  private record Entry<V>(V value, long loadedAt) {
  }

  private final long ttlNanos;
  private final int maxEntries;
  private final Map<K, Entry<V>> entries = new HashMap<>();
  private final Map<K, Future<V>> loading = new HashMap<>();

  TtlCache(long ttlMillis, int maxEntries) {
    this.ttlNanos = ttlMillis * 1_000_000L;
    this.maxEntries = maxEntries;
  }

  Future<V> get(K key, Function<K, Future<V>> loader) {
    Entry<V> entry = entries.get(key);
    if (entry != null && System.nanoTime() - entry.loadedAt() < ttlNanos) {
      return Future.succeededFuture(entry.value());
    }
    Future<V> pending = loading.get(key);
    if (pending != null) {
      return pending;
    }
    long started = System.nanoTime();
    Future<V> load = loader.apply(key);
    loading.put(key, load);
    return load
        .onSuccess(value -> put(key, value, started))
        .onComplete(done -> loading.remove(key, load));
  }

  /** Loads the key again whatever is cached (a load already under way is shared), and keeps the result. */
  Future<V> reload(K key, Function<K, Future<V>> loader) {
    entries.remove(key);
    return get(key, loader);
  }

  /** Drops one key (a load under way still completes, but is not kept). */
  void forget(K key) {
    entries.remove(key);
    loading.remove(key);
  }

  /** Drops every entry whose value matches, e.g. the negative ones. */
  void forgetIf(java.util.function.Predicate<V> test) {
    entries.values().removeIf(entry -> test.test(entry.value()));
  }

  private void put(K key, V value, long loadedAt) {
    if (entries.size() >= maxEntries) {
      entries.clear();
    }
    entries.put(key, new Entry<>(value, loadedAt));
  }
}
