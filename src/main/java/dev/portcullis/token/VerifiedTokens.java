package dev.portcullis.token;

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
    entries.put(token, verified);
  }

  void forget(String token) {
    entries.remove(token);
  }

  int size() {
    return entries.size();
  }
}
