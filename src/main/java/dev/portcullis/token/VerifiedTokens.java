package dev.portcullis.token;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Access tokens this verticle instance has already verified, so a client backend that presents the same
 * token again (the usual case: one token, many calls over its lifetime) skips the RSA check and the parsing.
 * The key is the whole token string, never a part of it: a cached signature vouches only for the exact
 * header and claims it was checked with. One event loop per instance, so no locks; least recently used
 * entries go first. What can change after verification (expiry, the key being unpublished) is checked again
 * on every hit by {@link AccessTokenVerifier}.
 */
final class VerifiedTokens {

  static final int MAX_ENTRIES = 10_000;
  private static final int DROPS_PER_PUT = 4;

  /** What a verified token established: its claims, the kid that signed it and its expiry. */
  record Verified(AccessTokenVerifier.Claims claims, String kid, long expiresAtEpochSecond) {
  }

  private final Map<String, Verified> entries;

  VerifiedTokens() {
    this(MAX_ENTRIES);
  }

  VerifiedTokens(int maxEntries) {
    this.entries = new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Verified> eldest) {
        return size() > maxEntries;
      }
    };
  }

  Verified get(String token) {
    return entries.get(token);
  }

  void put(String token, Verified verified) {
    dropExpired(System.currentTimeMillis() / 1000);
    entries.put(token, verified);
  }

  /**
   * Drops expired tokens from the least recently used end, a few per new token: an expired token is never
   * used again, so it drifts there. Without this they stayed until the bound pushed them out, and the memory
   * grew with every token issued for as long as that took (the chaos soak saw 0.9 MB a minute).
   */
  private void dropExpired(long nowEpochSecond) {
    Iterator<Verified> eldest = entries.values().iterator();
    for (int i = 0; i < DROPS_PER_PUT && eldest.hasNext(); i++) {
      if (eldest.next().expiresAtEpochSecond() > nowEpochSecond) {
        return;
      }
      eldest.remove();
    }
  }

  void forget(String token) {
    entries.remove(token);
  }

  int size() {
    return entries.size();
  }
}
