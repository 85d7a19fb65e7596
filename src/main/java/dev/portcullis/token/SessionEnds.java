package dev.portcullis.token;

import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * Sessions ended by an admin change in that change's own transaction (a license suspended or revoked, a device
 * deactivated, a tenant deleted, a member removed, a user disabled or deleted): the change, the {@code revoked_at}
 * updates and every audit event of them (staged in the change's {@link AuditStaging.Batch}) commit together or not
 * at all, so a retry of a change that failed finds the sessions still to end and ends them, audited. After the
 * commit the revocation markers are written ({@link Revocations#publish}) and the events recorded in the chain; then
 * the revocation runs once more on its own, as it did before it moved into the change's transaction: a login that
 * read the license, device or membership before the change committed may have bound a session after the
 * revocation's statement, and that one is ended (and audited) too.
 */
public final class SessionEnds {

  private final SessionStore sessions;
  private final Revocations revocations;
  private final SessionRevocations published;
  private final TokenMetrics metrics;

  public SessionEnds(Postgres pg, RedisStore redis, AuditLog audit, MeterRegistry registry) {
    this.sessions = new SessionStore(pg);
    this.revocations = new Revocations(redis);
    this.published = new SessionRevocations(sessions, revocations, audit);
    this.metrics = new TokenMetrics(registry);
  }

  /** One change of one request; {@code actor} (may be null) is named as {@code by} in each session.revoked event. */
  public Ending begin(AuditStaging.Batch batch, UUID appId, String requestId, String clientIp, JsonObject actor) {
    return new Ending(batch, appId, requestId, clientIp, actor);
  }

  public final class Ending {

    private final AuditStaging.Batch batch;
    private final UUID appId;
    private final String requestId;
    private final String clientIp;
    private final JsonObject actor;
    private final List<UUID> revoked = new ArrayList<>();
    private final Map<String, Integer> counted = new HashMap<>();
    /** The revocations to run again after the commit, each with its reason. */
    private final Map<Function<SessionStore.Events, Future<SessionStore.Revocation>>, String> again =
        new LinkedHashMap<>();

    private Ending(AuditStaging.Batch batch, UUID appId, String requestId, String clientIp, JsonObject actor) {
      this.batch = batch;
      this.appId = appId;
      this.requestId = requestId;
      this.clientIp = clientIp;
      this.actor = actor;
    }

    /**
     * Revokes the live sessions of the app bound to these devices ({@code reason}; none when it is null) and stages
     * {@code event} with how many as {@code sessions_revoked}.
     */
    public Future<Void> devices(SqlConnection conn, List<UUID> deviceIds, String reason, AuditEvent event) {
      if (reason == null || deviceIds.isEmpty()) {
        return batch.stage(conn, List.of(event.with("sessions_revoked", 0)));
      }
      again.put(events -> sessions.revokeBoundTo(appId, deviceIds, events), reason);
      return ended(conn, SessionStore.revokeBoundTo(conn, appId, deviceIds, none -> List.of()), reason, event);
    }

    /** The same for the live sessions bound to a tenant (of one user when userId is not null). */
    public Future<Void> tenant(SqlConnection conn, UUID tenantId, UUID userId, String reason, AuditEvent event) {
      again.put(events -> sessions.revokeTenant(appId, tenantId, userId, events), reason);
      return ended(conn, SessionStore.revokeTenant(conn, appId, tenantId, userId, none -> List.of()), reason, event);
    }

    /**
     * Revokes every live session of the user in the app ({@code reason}) and stages their events. Not run again
     * after the commit: a login locks the user's row, so one that committed first is seen here, and one that waits
     * for this change finds the user disabled or gone.
     */
    public Future<Void> user(SqlConnection conn, UUID userId, String reason) {
      return ended(conn, SessionStore.revokeAll(conn, appId, userId, none -> List.of()), reason, null);
    }

    /**
     * After the commit: the revoked sessions' markers and every staged event in the chain, then the revocation
     * once more for sessions bound meanwhile; fails only when that last one does.
     */
    public Future<Void> committed() {
      counted.forEach(metrics::revoked);
      Future<Void> done = Future.join(revocations.publish(revoked), batch.recorded(null)).mapEmpty();
      for (var revocation : again.entrySet()) {
        String reason = revocation.getValue();
        done = done.compose(previous -> revocation.getKey()
            .apply(SessionRevocations.events(appId, reason, requestId, clientIp, actor, List.of()))
            .compose(published::published)
            .onSuccess(late -> metrics.revoked(reason, late.owners().size()))
            .mapEmpty());
      }
      return done;
    }

    /** Stages a session.revoked per revoked session, and {@code event} (when not null) with how many. */
    private Future<Void> ended(SqlConnection conn, Future<SessionStore.Revocation> revocation, String reason,
                               AuditEvent event) {
      return revocation.compose(done -> {
        revoked.addAll(done.sessionIds());
        counted.merge(reason, done.owners().size(), Integer::sum);
        List<AuditEvent> events = new ArrayList<>();
        SessionRevocations.events(appId, reason, requestId, clientIp, actor, List.of()).apply(done.owners())
            .forEach(staged -> events.add(staged.event()));
        if (event != null) {
          events.add(event.with("sessions_revoked", done.owners().size()));
        }
        return batch.stage(conn, events);
      });
    }
  }
}
