package dev.portcullis.app;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** Ids each remembered until an expiry, at most {@code maxEntries} of them (the oldest goes first). Not thread-safe. */
final class ExpiringIds {

  private final Map<UUID, Long> expiries;

  ExpiringIds(int maxEntries) {
    this.expiries = new LinkedHashMap<>(64, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<UUID, Long> eldest) {
        return size() > maxEntries;
      }
    };
  }

  /** Whether {@code id} is remembered at {@code nowMs}; an expired one is dropped. */
  boolean contains(UUID id, long nowMs) {
    Long expiry = expiries.get(id);
    if (expiry == null) {
      return false;
    }
    if (expiry <= nowMs) {
      expiries.remove(id);
      return false;
    }
    return true;
  }

  /** Remembers {@code id} until {@code expiryMs}, as the newest. */
  void put(UUID id, long expiryMs) {
    expiries.remove(id);
    expiries.put(id, expiryMs);
  }

  void remove(UUID id) {
    expiries.remove(id);
  }

  void clear() {
    expiries.clear();
  }

  int size() {
    return expiries.size();
  }
}
