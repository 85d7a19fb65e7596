package dev.portcullis.token;

import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditOutbox;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  /** A session revoked in a caller's transaction ({@link #revokeIn}), with the device it was bound to. */
  public record Revoked(UUID sessionId, UUID appId, UUID userId, UUID deviceId) {
  }

  /**
   * On the caller's connection, inside its transaction: revokes the live sessions bound to these devices, of
   * whichever app. The caller stages their {@link #event}s in the same transaction, so the revocations and their
   * events commit with the change that caused them, and calls {@link #published} after the commit.
   */
  public static Future<List<Revoked>> revokeIn(SqlConnection conn, List<UUID> deviceIds) {
    return SessionStore.revokeBoundTo(conn, deviceIds);
  }

  /** The {@code session.revoked} event of a session revoked by {@link #revokeIn}. */
  public static AuditEvent event(Revoked session, String reason, String requestId) {
    return SessionRevocations.event(session.appId(), session.sessionId(), session.userId(), reason, requestId, null);
  }

  /**
   * After the commit of a {@link #revokeIn}: writes the sessions' Redis markers and records the staged events
   * in the chain (what fails stays in the outbox for the audit verticle); never fails.
   */
  public Future<Void> published(List<Revoked> revoked, List<AuditOutbox.Staged> staged) {
    Map<UUID, UUID> owners = new LinkedHashMap<>();
    revoked.forEach(session -> owners.put(session.sessionId(), session.userId()));
    return published.published(new SessionStore.Revocation(owners, staged)).mapEmpty();
  }
}
