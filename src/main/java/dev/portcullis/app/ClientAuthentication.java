package dev.portcullis.app;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.http.ClientAuthenticator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import java.util.UUID;

/**
 * Client authentication against the app directory: the same {@code 401 invalid_client} for an unknown app, a
 * wrong secret and missing credentials, after auditing the attempt under the app it claimed (when that exists).
 */
public final class ClientAuthentication implements ClientAuthenticator {

  private final AppDirectory directory;
  private final AuditLog audit;
  private final Counter failures;

  public ClientAuthentication(AppDirectory directory, AuditLog audit, MeterRegistry metrics) {
    this.directory = directory;
    this.audit = audit;
    this.failures = Counter.builder("portcullis.client.auth.failures")
        .description("Client authentications refused with 401 invalid_client")
        .register(metrics);
  }

  @Override
  public Future<UUID> authenticate(Attempt attempt) {
    return directory.authenticate(attempt.appId(), attempt.secret())
        .compose(verdict -> verdict.accepted() ? Future.succeededFuture(verdict.app().id()) : reject(attempt, verdict));
  }

  /** The answer is 401 whatever the audit did. */
  private Future<UUID> reject(Attempt attempt, AppDirectory.Verdict verdict) {
    failures.increment();
    AuditEvent event = AuditEvent.of(AuditEvent.CLIENT_AUTH_FAILED,
            verdict.claimedAppId() == null ? AuditEvent.SYSTEM_APP : verdict.claimedAppId(),
            attempt.requestId(), attempt.callerIp())
        .with("reason", "invalid_client");
    return audit.record(event).transform(ignored -> Future.failedFuture(AppDirectory.invalidClient()));
  }
}
