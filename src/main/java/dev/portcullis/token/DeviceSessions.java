package dev.portcullis.token;

import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;

/**
 * Sessions bound to licensed devices: revoked at once when their device is deactivated or its license is
 * suspended, revoked or expires. Revocation takes the same path as a logout ({@link SessionRevocations}):
 * {@code sessions.revoked_at} and a {@code session.revoked} event each in one transaction, then the Redis
 * marker every process checks on {@code /auth/me}. Made on a verticle's event loop (marker retries run on it).
 */
public final class DeviceSessions {

  private final SessionStore sessions;
  private final SessionRevocations published;

  public DeviceSessions(Postgres pg, RedisStore redis, AuditLog audit) {
    this.sessions = new SessionStore(pg);
    this.published = new SessionRevocations(sessions, new Revocations(redis), audit);
  }

  /** Revokes the live sessions of the app bound to these devices; completes with how many, once audited. */
  public Future<Integer> revoke(UUID appId, List<UUID> deviceIds, String reason, String requestId, String clientIp) {
    return revoke(appId, deviceIds, reason, requestId, clientIp, null);
  }

  /** The same, each {@code session.revoked} event naming {@code actor} as {@code by} (an admin act). */
  public Future<Integer> revoke(UUID appId, List<UUID> deviceIds, String reason, String requestId, String clientIp,
                                JsonObject actor) {
    if (deviceIds.isEmpty()) {
      return Future.succeededFuture(0);
    }
    return sessions.revokeBoundTo(appId, deviceIds,
            SessionRevocations.events(appId, reason, requestId, clientIp, actor, List.of()))
        .compose(published::published)
        .map(done -> done.owners().size());
  }
}
