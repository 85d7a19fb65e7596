package dev.portcullis.license;

import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.token.SessionEnds;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Audit before acknowledgement for the changes of licenses and devices: a change stages its event in its own
 * transaction ({@link AuditStaging}), and the sessions it ends (a device deactivated, a license suspended or
 * revoked) are revoked in that transaction too ({@link SessionEnds}), so the change, the revocations and every
 * event of them commit together or not at all. After the commit: the revocation markers, the events in the
 * chain, and a new generation of the app's licenses for every process's cached verify.
 */
final class LicenseChanges {

  private final SessionEnds sessions;
  private final AuditStaging staging;
  private final LicenseGenerations generations;

  LicenseChanges(SessionEnds sessions, AuditStaging staging, LicenseGenerations generations) {
    this.sessions = sessions;
    this.staging = staging;
    this.generations = generations;
  }

  /** One change of the app's licenses, by one request; {@code actor} (may be null) names who made it. */
  Change begin(UUID appId, String requestId, String clientIp, JsonObject actor) {
    AuditStaging.Batch batch = staging.batch();
    return new Change(appId, batch, sessions.begin(batch, appId, requestId, clientIp, actor));
  }

  final class Change {

    private final UUID appId;
    private final AuditStaging.Batch batch;
    private final SessionEnds.Ending ending;

    private Change(UUID appId, AuditStaging.Batch batch, SessionEnds.Ending ending) {
      this.appId = appId;
      this.batch = batch;
      this.ending = ending;
    }

    /** The step that stages the events of what the change made (a license, a policy, a device's seat). */
    <T> AuditStaging.Step<T> events(Function<T, List<AuditEvent>> events) {
      return batch.events(events);
    }

    /**
     * In the change's transaction: revokes the live sessions bound to {@code devices} (none when {@code reason}
     * is null) and stages {@code event} with how many as {@code sessions_revoked}.
     */
    Future<Void> endSessions(SqlConnection conn, List<UUID> devices, String reason, AuditEvent event) {
      return ending.devices(conn, devices, reason, event);
    }

    /** After the commit: the revoked sessions' markers, the events in the chain, the new generation; never fails. */
    Future<Void> committed() {
      return ending.committed().compose(done -> generations.bump(appId));
    }

    /** After the commit of a change that ended no session and leaves cached verify answers right. */
    <T> Future<T> recorded(T value) {
      return batch.recorded(value);
    }
  }
}
