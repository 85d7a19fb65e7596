package dev.portcullis.oidc;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** What ops watch of OpenID Connect: authorize outcomes, token requests by grant and outcome, revocations. */
final class OidcMetrics {

  private final MeterRegistry registry;

  OidcMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** {@code outcome}: started, redirected_error, refused (an error page). */
  void authorize(String outcome) {
    Counter.builder("portcullis_oidc_authorize_total")
        .description("OpenID Connect authorization requests, by outcome: started, redirected_error, refused")
        .tag("outcome", outcome).register(registry).increment();
  }

  /** {@code grant}: authorization_code, refresh_token, other; {@code outcome}: ok or the OAuth error code. */
  void token(String grant, String outcome) {
    Counter.builder("portcullis_oidc_token_requests_total")
        .description("OpenID Connect token endpoint requests, by grant type and outcome (ok or the OAuth error)")
        .tag("grant_type", grant).tag("outcome", outcome).register(registry).increment();
  }

  /** {@code outcome}: revoked, unknown. */
  void revocation(String outcome) {
    Counter.builder("portcullis_oidc_revocations_total")
        .description("OpenID Connect token revocations (RFC 7009), by outcome: revoked, unknown")
        .tag("outcome", outcome).register(registry).increment();
  }
}
