package dev.portcullis.token;

import dev.portcullis.app.ClientFailures;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Public keys by kid, for one verticle instance (HTTP or Token), each with the app it belongs to. Entries
 * live a second, so a deleted app's keys stop verifying within about a second. Keys are only ever looked up
 * in our own database: a token's {@code jku}, {@code x5u}, {@code jwk} or {@code x5c} header is never used.
 *
 * <p>A kid a caller named that cost a look-up and named no key counts toward the caller's per-IP limit of
 * anonymous failures ({@link ClientFailures#countAnonymous}, summarised as {@value #UNKNOWN_KEY}); beyond it, the
 * caller's kids not seen lately are answered {@code 429} before any look-up, while kids that named a key in the
 * last minute still verify. So one address cannot spend the look-up line's connections on made-up kids, nor keep
 * a rarely used app's new key waiting behind them.
 */
final class VerificationKeys {

  static final long TTL_MS = 1_000;
  static final String UNKNOWN_KEY = "client.unknown_key";

  /** The public half of one signing key, ready to verify RS256 signatures. */
  static final class Key {

    private final UUID appId;
    private final String slug;
    private final OffsetDateTime publishUntil;
    private final Rs256 rs256;

    private Key(UUID appId, String slug, OffsetDateTime publishUntil, Rs256 rs256) {
      this.appId = appId;
      this.slug = slug;
      this.publishUntil = publishUntil;
      this.rs256 = rs256;
    }

    UUID appId() {
      return appId;
    }

    String slug() {
      return slug;
    }

    boolean publishedAt(OffsetDateTime now) {
      return publishUntil == null || publishUntil.isAfter(now);
    }

    boolean verify(byte[] signature, byte[] signingInput) {
      return rs256.verify(signature, signingInput);
    }
  }

  /** How long an unknown kid is remembered as unknown, unless a key change is announced first. */
  static final long UNKNOWN_TTL_MS = 60_000;
  static final int UNSEEN_AT_ONCE = 4;
  static final int UNSEEN_WAITING = 64;
  static final int SEEN_MAX = 10_000;

  private final SigningKeyStore store;
  private final SigningKeyStore unseenStore;
  private final ClientFailures failures;
  private final TtlCache<String, Key> cache = new TtlCache<>(TTL_MS, 10_000);
  /** Whether a kid is unknown (bounded): a flood of tokens naming one made-up kid costs one query a minute. */
  private final TtlCache<String, Boolean> unknown = new TtlCache<>(UNKNOWN_TTL_MS, 10_000);
  /**
   * The look-ups of kids this verticle has not seen in the last minute, a few at a time: tokens naming a new made-up
   * kid each would otherwise take a Postgres connection each, as many as the pool has. Kids seen are looked up again
   * (each second) outside this line, so such a flood never holds up the tokens of known keys.
   */
  private final LookupLine unseen;
  /**
   * The kids that named a key, with when they last did (most recently used last): kept while used, apart from the
   * unknown-kid cache, which a flood of made-up kids fills (and so empties) and whose entries expire from their load.
   */
  private final Map<String, Long> seen = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > SEEN_MAX;
    }
  };

  /**
   * {@code unseenStore}: the store unseen kids are looked up in, on a small pool of its own so that their look-ups
   * never wait for, nor hold, the requests' connections; {@code backendTimeoutMs}: the longest such a look-up waits
   * its turn, then 503; {@code failures}: where the kids that named no key are counted against their caller.
   */
  VerificationKeys(SigningKeyStore store, SigningKeyStore unseenStore, long backendTimeoutMs, ClientFailures failures) {
    this.store = store;
    this.unseenStore = unseenStore;
    this.failures = failures;
    this.unseen = new LookupLine(UNSEEN_AT_ONCE, UNSEEN_WAITING, backendTimeoutMs, "the signing key store");
  }

  /**
   * Forgets every unknown kid when any process announces a key change (a rotated key's kid must verify at
   * once, even where it was looked up, as unknown, moments before it was stored) and an app's known keys when
   * it changes.
   */
  VerificationKeys listen(Vertx vertx) {
    Bus.listen(vertx, Bus.APP_CHANGES_MISSED, missed -> {
      unknown.forgetIf(any -> true);
      cache.forgetIf(any -> true);
    });
    Bus.listen(vertx, Bus.APP_CHANGED, changed -> {
      unknown.forgetIf(Boolean.TRUE::equals);
      cache.forgetIf(key -> key != null && key.appId().equals(changed.appId()));
    });
    return this;
  }

  /**
   * The key with this kid, or null when there is none. {@code callerIp}: who presented the token, counted and
   * limited when the kid names no key; null for callers that authenticated first (their failures count there).
   */
  Future<Key> find(String kid, String callerIp) {
    long now = System.currentTimeMillis();
    Long last = seen.get(kid);
    Future<Key> found;
    if (last != null && now - last < UNKNOWN_TTL_MS) {
      found = lookup(kid);
    } else {
      ApiException refusal = callerIp == null ? null : failures.anonymousRefusal(callerIp);
      if (refusal != null) {
        return Future.failedFuture(refusal);
      }
      found = unknown.get(kid, id -> unseen.run(() -> cache.get(id, this::loadUnseen)).map(key -> {
            if (key == null && callerIp != null) {
              failures.countAnonymous(UNKNOWN_KEY, null, callerIp);
            }
            return key == null;
          }))
          .compose(isUnknown -> isUnknown ? Future.succeededFuture((Key) null) : lookup(kid));
    }
    return found.onSuccess(key -> {
      if (key == null) {
        seen.remove(kid);
      } else {
        seen.put(kid, now);
      }
    });
  }

  private Future<Key> lookup(String kid) {
    return cache.get(kid, id -> store.byKid(id).map(VerificationKeys::toKey));
  }

  private Future<Key> loadUnseen(String kid) {
    return unseenStore.byKid(kid).map(VerificationKeys::toKey);
  }

  private static Key toKey(SigningKeyStore.PublicKeyRow row) {
    if (row == null) {
      return null;
    }
    return new Key(row.appId(), row.slug(), row.publishUntil(), Rs256.verifying(row.publicPem()));
  }
}
