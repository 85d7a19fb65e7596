package dev.portcullis.token;

import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
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
  /** In load order, so the entries that expired first are at the head. */
  private final LinkedHashMap<K, Entry<V>> entries = new LinkedHashMap<>();
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
    return load.onComplete(done -> {
      // A load forgotten while under way (the key changed meanwhile) answers its callers but is not kept.
      if (loading.remove(key, load) && done.succeeded()) {
        put(key, done.result(), started);
      }
    });
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

  /** Drops every entry whose value matches, e.g. the negative ones, and every load under way (it may match). */
  void forgetIf(java.util.function.Predicate<V> test) {
    entries.values().removeIf(entry -> test.test(entry.value()));
    loading.clear();
  }

  /**
   * Keeps the value and drops the entries that expired (from the head, where the oldest are), so a cache of many
   * short-lived keys (a session seen once) holds only the last TTL's worth instead of growing to maxEntries.
   */
  private void put(K key, V value, long loadedAt) {
    long now = System.nanoTime();
    Iterator<Entry<V>> oldest = entries.values().iterator();
    while (oldest.hasNext() && now - oldest.next().loadedAt() >= ttlNanos) {
      oldest.remove();
    }
    if (entries.size() >= maxEntries) {
      entries.clear();
    }
    entries.remove(key);
    entries.put(key, new Entry<>(value, loadedAt));
  }

  /** Entries held, expired or not (for tests). */
  int size() {
    return entries.size();
  }
}
