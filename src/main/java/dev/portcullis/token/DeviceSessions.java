package dev.portcullis.token;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import java.util.List;
import java.util.UUID;

/**
 * Sessions bound to licensed devices: revoked at once when their device is deactivated or its license is
 * suspended, revoked or expires. Revocation takes the same path as a logout: {@code sessions.revoked_at},
 * then the Redis marker every process checks on {@code /auth/me}, then a {@code session.revoked} event each.
 */
public final class DeviceSessions {

  private final SessionStore sessions;
  private final Revocations revocations;
  private final AuditLog audit;

  public DeviceSessions(Postgres pg, RedisStore redis, AuditLog audit) {
    this.sessions = new SessionStore(pg);
    this.revocations = new Revocations(redis);
    this.audit = audit;
  }

  /** Revokes the live sessions of the app bound to these devices; completes with how many, once audited. */
  public Future<Integer> revoke(UUID appId, List<UUID> deviceIds, String reason, String requestId, String clientIp) {
    if (deviceIds.isEmpty()) {
      return Future.succeededFuture(0);
    }
    return sessions.revokeBoundTo(appId, deviceIds).compose(revoked -> revocations
        .mark(revoked.stream().map(SessionStore.Revoked::sessionId).toList())
        .compose(marked -> audit.record(revoked.stream()
            .map(session -> AuditEvent.of(AuditEvent.SESSION_REVOKED, appId, requestId, clientIp)
                .withUser(session.userId())
                .with("session_id", session.sessionId().toString())
                .with("reason", reason))
            .toList()))
        .map(recorded -> revoked.size()));
  }
}
