package dev.portcullis.oidc;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/** What ops watch of OpenID Connect: authorize outcomes, token requests by grant and outcome, revocations. */
final class OidcMetrics {

  private final MeterRegistry registry;

  OidcMetrics(MeterRegistry registry) {
    this.registry = registry;
    // The series a panel or an alert reads exist from the start at 0: rate() and increase() need a sample before
    // the first event, which is otherwise lost to them after every start.
    List.of("started", "redirected_error", "refused").forEach(this::authorizations);
    List.of("authorization_code", "refresh_token").forEach(grant -> tokenRequests(grant, "ok"));
    tokenRequests("authorization_code", "invalid_grant");
    List.of("revoked", "unknown").forEach(this::revocations);
  }

  /** {@code outcome}: started, redirected_error, refused (an error page). */
  void authorize(String outcome) {
    authorizations(outcome).increment();
  }

  /** {@code grant}: authorization_code, refresh_token, other; {@code outcome}: ok or the OAuth error code. */
  void token(String grant, String outcome) {
    tokenRequests(grant, outcome).increment();
  }

  /** {@code outcome}: revoked, unknown. */
  void revocation(String outcome) {
    revocations(outcome).increment();
  }

  private Counter authorizations(String outcome) {
    return Counter.builder("portcullis_oidc_authorize_total")
        .description("OpenID Connect authorization requests, by outcome: started, redirected_error, refused")
        .tag("outcome", outcome).register(registry);
  }

  private Counter tokenRequests(String grant, String outcome) {
    return Counter.builder("portcullis_oidc_token_requests_total")
        .description("OpenID Connect token endpoint requests, by grant type and outcome (ok or the OAuth error)")
        .tag("grant_type", grant).tag("outcome", outcome).register(registry);
  }

  private Counter revocations(String outcome) {
    return Counter.builder("portcullis_oidc_revocations_total")
        .description("OpenID Connect token revocations (RFC 7009), by outcome: revoked, unknown")
        .tag("outcome", outcome).register(registry);
  }
}
