package dev.portcullis.password;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Password and challenge counters. Labels are purposes, outcomes and reasons: never an identity, an app or a
 * user.
 */
public final class PasswordMetrics {

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final DistributionSummary difficulty;

  public PasswordMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.difficulty = DistributionSummary.builder("portcullis.challenge.difficulty")
        .description("proof-of-work difficulty of issued challenges (leading zero bits)")
        .register(registry);
  }

  /** portcullis_challenges_issued_total{purpose, pow=true|false} and the difficulty distribution. */
  public void challengeIssued(String purpose, int bits) {
    counter("portcullis.challenges.issued", "challenge tokens issued", "purpose", purpose, "pow",
        Boolean.toString(bits > 0)).increment();
    difficulty.record(bits);
  }

  /** portcullis_challenges_refused_total{reason=unknown|pow|in_flight}; in_flight: waited too long for checks ahead */
  public void challengeRefused(String reason) {
    counter("portcullis.challenges.refused", "challenges refused", "reason", reason).increment();
  }

  /** portcullis_password_logins_total{outcome=success|invalid_credentials|locked_out|...} */
  public void login(String outcome) {
    counter("portcullis.password.logins", "password logins by outcome", "outcome", outcome).increment();
  }

  /** portcullis_password_lockouts_total{scope=identity_network|network|session|user (password changes)} */
  public void lockout(String scope) {
    counter("portcullis.password.lockouts", "password logins refused or locked by a lock-out", "scope", scope)
        .increment();
  }

  /** portcullis_password_signups_total{stage=requested|verified} */
  public void signup(String stage) {
    counter("portcullis.password.signups", "password signups", "stage", stage).increment();
  }

  /** portcullis_password_changes_total{kind=change|reset|rehash} */
  public void changed(String kind) {
    counter("portcullis.password.changes", "passwords changed, reset or rehashed", "kind", kind).increment();
  }

  /** portcullis_password_weak_total: new passwords refused by the policy. */
  public void weak() {
    counter("portcullis.password.weak", "new passwords refused by the policy").increment();
  }

  private Counter counter(String name, String description, String... tags) {
    String key = name + String.join("|", tags);
    Counter counter = counters.get(key);
    return counter != null ? counter
        : counters.computeIfAbsent(key, ignored -> Counter.builder(name).description(description).tags(tags)
            .register(registry));
  }
}
