package dev.portcullis.token;

import dev.portcullis.core.Bus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * Public keys by kid, for one verticle instance (HTTP or Token), each with the app it belongs to. Entries
 * live a second, so a deleted app's keys stop verifying within about a second. Keys are only ever looked up
 * in our own database: a token's {@code jku}, {@code x5u}, {@code jwk} or {@code x5c} header is never used.
 */
final class VerificationKeys {

  static final long TTL_MS = 1_000;

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

  private final SigningKeyStore store;
  private final TtlCache<String, Key> cache = new TtlCache<>(TTL_MS, 10_000);
  /** Whether a kid is unknown (bounded): a flood of tokens naming one made-up kid costs one query a minute. */
  private final TtlCache<String, Boolean> unknown = new TtlCache<>(UNKNOWN_TTL_MS, 10_000);
  /**
   * The look-ups of kids this verticle has not seen in the last minute, a few at a time: tokens naming a new made-up
   * kid each would otherwise take a Postgres connection each, as many as the pool has. Kids seen are looked up again
   * (each second) outside this line, so such a flood never holds up the tokens of known keys.
   */
  private final LookupLine unseen;

  /** {@code backendTimeoutMs}: the longest a look-up of an unseen kid waits its turn, then 503. */
  VerificationKeys(SigningKeyStore store, long backendTimeoutMs) {
    this.store = store;
    this.unseen = new LookupLine(UNSEEN_AT_ONCE, UNSEEN_WAITING, backendTimeoutMs, "the signing keys");
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

  /** The key with this kid, or null when there is none. */
  Future<Key> find(String kid) {
    return unknown.get(kid, id -> unseen.run(() -> lookup(id)).map(key -> key == null))
        .compose(isUnknown -> isUnknown ? Future.succeededFuture((Key) null) : lookup(kid));
  }

  private Future<Key> lookup(String kid) {
    return cache.get(kid, id -> store.byKid(id).map(VerificationKeys::toKey));
  }

  private static Key toKey(SigningKeyStore.PublicKeyRow row) {
    if (row == null) {
      return null;
    }
    return new Key(row.appId(), row.slug(), row.publishUntil(), Rs256.verifying(row.publicPem()));
  }
}
