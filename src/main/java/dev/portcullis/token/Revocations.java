package dev.portcullis.token;

import dev.portcullis.app.AppSettings;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.UUID;

/**
 * Revoked sessions as Redis markers, so every gateway process sees a revocation on its next {@code /auth/me}.
 * A marker outlives every access token of its session: no token lives longer than the longest access token
 * TTL. Postgres keeps the durable record ({@code sessions.revoked_at}); one SET per session keeps this
 * working on Redis Cluster too, where the keys of several sessions may live on different nodes.
 */
final class Revocations {

  static final long MARKER_TTL_SECONDS = AppSettings.MAX_ACCESS_TOKEN_TTL + 60L;

  private final RedisStore redis;

  Revocations(RedisStore redis) {
    this.redis = redis;
  }

  Future<Void> mark(List<UUID> sessions) {
    return Future.all(sessions.stream()
            .map(id -> redis.sendDecision(Request.cmd(Command.SET, key(id), "1", "EX", Long.toString(MARKER_TTL_SECONDS))))
            .toList())
        .mapEmpty();
  }

  /** The marker's key; checks are batched by {@link RevocationChecks}. */
  String key(UUID session) {
    return redis.key("revoked", session.toString());
  }
}
