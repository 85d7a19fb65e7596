package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import dev.portcullis.http.ClientAuthenticator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import java.util.UUID;

/**
 * Client authentication against the app directory: the same {@code 401 invalid_client} for an unknown app, a
 * wrong secret and missing credentials. A failure is not audited on its own: it is counted into one
 * {@code client.auth_failed} summary per app, source network and minute ({@link ClientFailures}), and a caller
 * over its failure limit is answered {@code 429 rate_limited} before any look-up or hash.
 */
public final class ClientAuthentication implements ClientAuthenticator {

  private final AppDirectory directory;
  private final ClientFailures failuresOf;
  private final Counter failures;

  public ClientAuthentication(AppDirectory directory, ClientFailures failuresOf, MeterRegistry metrics) {
    this.directory = directory;
    this.failuresOf = failuresOf;
    this.failures = Counter.builder("portcullis.client.auth.failures")
        .description("Client authentications refused with 401 invalid_client")
        .register(metrics);
  }

  @Override
  public Future<UUID> authenticate(Attempt attempt) {
    ApiException refusal = failuresOf.refusal(attempt.callerIp());
    if (refusal != null) {
      return Future.failedFuture(refusal);
    }
    return directory.authenticate(attempt.appId(), attempt.secret())
        .compose(verdict -> verdict.accepted() ? Future.succeededFuture(verdict.app().id()) : reject(attempt, verdict));
  }

  /** The answer is 401 whatever the counting did. */
  private Future<UUID> reject(Attempt attempt, AppDirectory.Verdict verdict) {
    failures.increment();
    return failuresOf.count(verdict.claimedAppId(), attempt.callerIp())
        .transform(ignored -> Future.failedFuture(AppDirectory.invalidClient()));
  }
}
