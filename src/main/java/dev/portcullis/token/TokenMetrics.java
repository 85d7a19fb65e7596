package dev.portcullis.token;

import dev.portcullis.core.messages.TokenMessages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The token counters and the signing timer: {@code portcullis_tokens_issued_total{grant}},
 * {@code portcullis_token_refreshes_total{outcome}}, {@code portcullis_refresh_reuse_detected_total},
 * {@code portcullis_sessions_revoked_total{reason}}, {@code portcullis_token_signing_seconds}, and
 * {@code portcullis_token_signer{provider}} (always 1: which library signs, openssl or jdk).
 */
final class TokenMetrics {

  private final MeterRegistry registry;
  private final Counter issuedAtLogin;
  private final Counter issuedAtRefresh;
  private final Counter rotated;
  private final Counter replayed;
  private final Counter reuseDetected;
  private final Timer signing;

  TokenMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.issuedAtLogin = issued("login");
    this.issuedAtRefresh = issued("refresh");
    this.rotated = refreshes("rotated");
    this.replayed = refreshes("grace_replay");
    this.reuseDetected = Counter.builder("portcullis.refresh.reuse.detected")
        .description("Spent refresh tokens presented again after the grace window; each revokes its session")
        .register(registry);
    this.signing = Timer.builder("portcullis.token.signing")
        .description("Time to sign one access token")
        .register(registry);
    // The reasons a panel or an alert reads exist from the start at 0: rate() and increase() need a sample before
    // the first event, which is otherwise lost to them after every start.
    List.of(TokenMessages.Logout.REASON, TokenService.REASON_REUSE, "password_changed", "password_reset", "admin",
        SessionEnds.USER_DISABLED, SessionEnds.USER_DELETED).forEach(this::revocations);
  }

  void signer(String provider) {
    Gauge.builder("portcullis.token.signer", () -> 1)
        .description("What signs access tokens (always 1): openssl, or jdk where OpenSSL 3 is not used")
        .tag("provider", provider)
        .register(registry);
  }

  void issued(boolean atLogin) {
    (atLogin ? issuedAtLogin : issuedAtRefresh).increment();
  }

  void refreshed(boolean replay) {
    (replay ? replayed : rotated).increment();
  }

  void reuseDetected() {
    reuseDetected.increment();
  }

  void revoked(String reason, int sessions) {
    revocations(reason).increment(sessions);
  }

  private Counter revocations(String reason) {
    return Counter.builder("portcullis.sessions.revoked")
        .description("Sessions revoked, by reason")
        .tag("reason", reason)
        .register(registry);
  }

  void signed(long startedNanos) {
    signing.record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
  }

  private Counter issued(String grant) {
    return Counter.builder("portcullis.tokens.issued")
        .description("Access tokens issued, by grant")
        .tag("grant", grant)
        .register(registry);
  }

  private Counter refreshes(String outcome) {
    return Counter.builder("portcullis.token.refreshes")
        .description("Successful refreshes: rotated, or the same successor again within the grace window")
        .tag("outcome", outcome)
        .register(registry);
  }
}
