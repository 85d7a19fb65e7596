package dev.portcullis.token;

import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditOutbox;
import dev.portcullis.core.AuditEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * How every session revocation ends (logout, reuse detection, the admin API, devices and licenses): the
 * {@code session.revoked} events are staged in the revocation's own transaction ({@link SessionStore.Events}),
 * so it commits with them or not at all; after the commit the Redis markers are written (and retried,
 * {@link Revocations#publish}) and the events recorded in the chain. The answer waits for both, and never
 * fails once the revocation committed: it is durable, and so are its events.
 */
final class SessionRevocations {

  private final SessionStore sessions;
  private final Revocations revocations;
  private final AuditLog audit;

  SessionRevocations(SessionStore sessions, Revocations revocations, AuditLog audit) {
    this.sessions = sessions;
    this.revocations = revocations;
    this.audit = audit;
  }

  /**
   * The events of a revocation: {@code alsoRecord}, then one {@code session.revoked} per revoked session (with
   * {@code by}: actor, when not null).
   */
  static SessionStore.Events events(UUID appId, String reason, String requestId, String clientIp, JsonObject actor,
                                    List<AuditEvent> alsoRecord) {
    return owners -> {
      List<AuditOutbox.Staged> staged = new ArrayList<>(alsoRecord.size() + owners.size());
      alsoRecord.forEach(event -> staged.add(AuditOutbox.Staged.of(event)));
      owners.forEach((sessionId, userId) -> {
        AuditEvent event = event(appId, sessionId, userId, reason, requestId, clientIp);
        staged.add(AuditOutbox.Staged.of(actor == null ? event : event.with("by", actor)));
      });
      return staged;
    };
  }

  /**
   * The events of a revocation of many sessions of one user: one {@code session.revoked} without a session id, with
   * how many ({@code sessions_revoked}) and {@code by}: actor, when not null; none when nothing was revoked.
   */
  static SessionStore.Events summary(UUID appId, UUID userId, String reason, String requestId, String clientIp,
                                     JsonObject actor) {
    return owners -> owners.isEmpty() ? List.of()
        : List.of(AuditOutbox.Staged.of(summaryEvent(appId, userId, owners.size(), reason, requestId, clientIp, actor)));
  }

  /** The one {@code session.revoked} event of {@code sessions} sessions of a user (see {@link #summary}). */
  static AuditEvent summaryEvent(UUID appId, UUID userId, int sessions, String reason, String requestId,
                                 String clientIp, JsonObject actor) {
    AuditEvent event = AuditEvent.of(AuditEvent.SESSION_REVOKED, appId, requestId, clientIp)
        .withUser(userId)
        .with("sessions_revoked", sessions)
        .with("reason", reason);
    return actor == null ? event : event.with("by", actor);
  }

  /** The {@code session.revoked} event of one session. */
  static AuditEvent event(UUID appId, UUID sessionId, UUID userId, String reason, String requestId, String clientIp) {
    return AuditEvent.of(AuditEvent.SESSION_REVOKED, appId, requestId, clientIp)
        .withUser(userId)
        .with("session_id", sessionId.toString())
        .with("reason", reason);
  }

  /** After the commit: the markers and the events; completes with the revocation, never fails. */
  Future<SessionStore.Revocation> published(SessionStore.Revocation revocation) {
    return Future.join(revocations.publish(revocation.sessionIds()), sessions.recordStaged(audit, revocation.staged()))
        .map(done -> revocation);
  }
}
