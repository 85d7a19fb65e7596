package dev.portcullis.token;

import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import dev.portcullis.user.UserChanges;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  /** The reasons of a user's sessions ended by its disable and by its deletion. */
  public static final String USER_DISABLED = "user_disabled";
  public static final String USER_DELETED = "user_deleted";

  private static final Logger LOG = LoggerFactory.getLogger(SessionEnds.class);

  /**
   * The most sessions of one user a change revokes with a {@code session.revoked} event each, and the most a
   * disable revokes in its own transaction. A user has as many sessions as logins within the refresh token's
   * lifetime, unbounded: revoking and auditing 100,000 of them one event each outlived the backend timeout, every
   * time, so such a user could be neither disabled nor deleted (probe h31). Beyond this bound the sessions are ended
   * in batches of {@link #BATCH}, each in a transaction of its own with one summary {@code session.revoked}.
   */
  public static final int EVENT_PER_SESSION_UP_TO = 5_000;

  /** Sessions of one user revoked (or deleted) per transaction beyond {@link #EVENT_PER_SESSION_UP_TO}. */
  static final int BATCH = 5_000;

  private final SessionStore sessions;
  private final Revocations revocations;
  private final SessionRevocations published;
  private final AuditLog audit;
  private final UserChanges changes;
  private final TokenMetrics metrics;

  public SessionEnds(Postgres pg, RedisStore redis, AuditLog audit, MeterRegistry registry) {
    this.sessions = new SessionStore(pg);
    this.revocations = new Revocations(redis);
    this.published = new SessionRevocations(sessions, revocations, audit);
    this.audit = audit;
    this.changes = new UserChanges(redis);
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
    /** The user a disable may have left sessions of, to revoke after the commit ({@link #remaining}); or null. */
    private UUID rest;
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
     * Revokes every live session of the user in the app ({@code reason}) and stages their events: one each up to
     * {@link #EVENT_PER_SESSION_UP_TO}, else one for them all. Not run again after the commit: a login locks the
     * user's row, so one that committed first is seen here, and one that waits for this change finds the user
     * disabled or gone. For a deletion, after {@link #clearBeforeDeletion} left few sessions to revoke.
     */
    public Future<Void> user(SqlConnection conn, UUID userId, String reason) {
      return ended(conn, SessionStore.revokeAll(conn, appId, userId, none -> List.of()), userId, reason, null);
    }

    /**
     * A disable: revokes at most {@link #EVENT_PER_SESSION_UP_TO} live sessions of the user in the change's
     * transaction, a {@code session.revoked} each; when there may be more, {@link #remaining} revokes them after the
     * commit. Meanwhile the disabled user's sessions are refused all the same (a refresh and {@code /auth/me} read
     * the user), so the disable takes effect with its commit however many sessions the user has.
     */
    public Future<Void> disabledUser(SqlConnection conn, UUID userId) {
      return SessionStore.revokeSome(conn, appId, userId, EVENT_PER_SESSION_UP_TO, none -> List.of())
          .compose(done -> {
            if (done.owners().size() >= EVENT_PER_SESSION_UP_TO) {
              rest = userId;
            }
            return ended(conn, Future.succeededFuture(done), userId, USER_DISABLED, null);
          });
    }

    /**
     * After the commit of a disable that may have left sessions live ({@link #disabledUser}): revokes them in
     * batches while the user is disabled, each batch in a transaction of its own with one summary
     * {@code session.revoked} event, recorded before the next (see {@link #afterBatch} for their markers). Never
     * fails: a batch that fails is logged, and what it left is revoked by the disable sent again, or before an
     * enable ({@link #beforeEnabling}), which must not bring such a session back.
     */
    public Future<Void> remaining() {
      if (rest == null) {
        return Future.succeededFuture();
      }
      UUID userId = rest;
      return ofDisabled(userId).otherwise(failure -> {
        LOG.warn("sessions of disabled user {} left to revoke ({}): the user's sessions are refused while it is "
            + "disabled; a disable sent again, or an enable, revokes them", userId, failure.getMessage());
        return null;
      });
    }

    /**
     * Before an enable: the sessions a disable left live (see {@link #remaining}) revoked, in batches, while the user
     * is still disabled; none when it is not. Fails when a batch does, so that the enable does not happen.
     */
    public Future<Void> beforeEnabling(UUID userId) {
      return ofDisabled(userId);
    }

    private Future<Void> ofDisabled(UUID userId) {
      return sessions.revokeOfDisabled(appId, userId, BATCH, summary(userId, USER_DISABLED))
          // Until a batch finds none: a short one may only mean another request took some rows meanwhile (h37).
          .compose(done -> afterBatch(USER_DISABLED, done, userId)
              .compose(ignored -> done.owners().isEmpty() ? Future.succeededFuture() : ofDisabled(userId)));
    }

    /**
     * Before a deletion's transaction: when the user has more than {@link #EVENT_PER_SESSION_UP_TO} sessions (live,
     * revoked or expired), deletes them in batches, each in a transaction of its own with one summary
     * {@code session.revoked} event of the live ones among them (reason {@code user_deleted}). The deletion's own
     * transaction then has few rows to delete, whatever the user had: deleting 100,000 sessions and their refresh
     * tokens took most of a second. A deletion that fails after these batches leaves the user with the sessions
     * they ended, audited; sent again, it deletes the user. With fewer sessions nothing happens here: the
     * deletion revokes them and deletes the user in one transaction.
     */
    public Future<Void> clearBeforeDeletion(UUID userId) {
      return sessions.countUpTo(appId, userId, EVENT_PER_SESSION_UP_TO + 1)
          .compose(rows -> rows <= EVENT_PER_SESSION_UP_TO ? Future.succeededFuture() : deleteAll(userId));
    }

    private Future<Void> deleteAll(UUID userId) {
      return sessions.deleteSome(appId, userId, BATCH, summary(userId, USER_DELETED))
          .compose(done -> afterBatch(USER_DELETED, done.live(), userId)
              .compose(ignored -> done.rows() == 0 ? Future.succeededFuture() : deleteAll(userId)));
    }

    /**
     * After a batch committed: its event recorded, and the user's change marker written ({@link UserChanges}), so
     * every process reads the user's sessions again on their next {@code /auth/me} instead of trusting a cached
     * view. No revocation marker per session: the sessions are refused without them (a disabled user's by the user's
     * row; a deleted user's have no row left, {@code 401 invalid_token}), and a hundred thousand of them, written
     * after the answer, still ran when the process stopped and blocked its event loop failing one by one.
     */
    private Future<Void> afterBatch(String reason, SessionStore.Revocation done, UUID userId) {
      if (done.owners().isEmpty()) {
        return Future.succeededFuture();
      }
      metrics.revoked(reason, done.owners().size());
      return Future.join(sessions.recordStaged(audit, done.staged()), changes.changed(userId)).mapEmpty();
    }

    private SessionStore.Events summary(UUID userId, String reason) {
      return SessionRevocations.summary(appId, userId, reason, requestId, clientIp, actor);
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
      return ended(conn, revocation, null, reason, event);
    }

    /**
     * The same; with {@code userId} (all the sessions that user's) beyond {@link #EVENT_PER_SESSION_UP_TO} sessions
     * one summary {@code session.revoked} instead of one per session.
     */
    private Future<Void> ended(SqlConnection conn, Future<SessionStore.Revocation> revocation, UUID userId,
                               String reason, AuditEvent event) {
      return revocation.compose(done -> {
        revoked.addAll(done.sessionIds());
        counted.merge(reason, done.owners().size(), Integer::sum);
        List<AuditEvent> events = new ArrayList<>();
        if (userId != null && done.owners().size() > EVENT_PER_SESSION_UP_TO) {
          events.add(SessionRevocations.summaryEvent(appId, userId, done.owners().size(), reason, requestId, clientIp,
              actor));
        } else {
          SessionRevocations.events(appId, reason, requestId, clientIp, actor, List.of()).apply(done.owners())
              .forEach(staged -> events.add(staged.event()));
        }
        if (event != null) {
          events.add(event.with("sessions_revoked", done.owners().size()));
        }
        return batch.stage(conn, events);
      });
    }
  }
}
