package dev.portcullis.password;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
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
    // The outcomes, reasons and scopes an alert or a panel reads exist from the start at 0: rate() and increase()
    // need a sample before the first event, which is otherwise lost to them after every start.
    for (String purpose : Challenges.PURPOSES) {
      issued(purpose, false);
      issued(purpose, true);
    }
    List.of("unknown", "pow", "in_flight").forEach(this::refused);
    List.of("success", "invalid_credentials", "locked_out", "in_flight").forEach(this::logins);
    List.of("identity_network", "network", "session", "user").forEach(this::lockouts);
    List.of("requested", "verified").forEach(this::signups);
    List.of("change", "reset", "rehash").forEach(this::changes);
    weakPasswords();
  }

  /** portcullis_challenges_issued_total{purpose, pow=true|false} and the difficulty distribution. */
  public void challengeIssued(String purpose, int bits) {
    issued(purpose, bits > 0).increment();
    difficulty.record(bits);
  }

  /** portcullis_challenges_refused_total{reason=unknown|pow|in_flight}; in_flight: waited too long for checks ahead */
  public void challengeRefused(String reason) {
    refused(reason).increment();
  }

  /** portcullis_password_logins_total{outcome=success|invalid_credentials|locked_out|...} */
  public void login(String outcome) {
    logins(outcome).increment();
  }

  /** portcullis_password_lockouts_total{scope=identity_network|network|session|user (password changes)} */
  public void lockout(String scope) {
    lockouts(scope).increment();
  }

  /** portcullis_password_signups_total{stage=requested|verified} */
  public void signup(String stage) {
    signups(stage).increment();
  }

  /** portcullis_password_changes_total{kind=change|reset|rehash} */
  public void changed(String kind) {
    changes(kind).increment();
  }

  /** portcullis_password_weak_total: new passwords refused by the policy. */
  public void weak() {
    weakPasswords().increment();
  }

  private Counter issued(String purpose, boolean pow) {
    return counter("portcullis.challenges.issued", "challenge tokens issued", "purpose", purpose, "pow",
        Boolean.toString(pow));
  }

  private Counter refused(String reason) {
    return counter("portcullis.challenges.refused", "challenges refused", "reason", reason);
  }

  private Counter logins(String outcome) {
    return counter("portcullis.password.logins", "password logins by outcome", "outcome", outcome);
  }

  private Counter lockouts(String scope) {
    return counter("portcullis.password.lockouts", "password logins refused or locked by a lock-out", "scope", scope);
  }

  private Counter signups(String stage) {
    return counter("portcullis.password.signups", "password signups", "stage", stage);
  }

  private Counter changes(String kind) {
    return counter("portcullis.password.changes", "passwords changed, reset or rehashed", "kind", kind);
  }

  private Counter weakPasswords() {
    return counter("portcullis.password.weak", "new passwords refused by the policy");
  }

  private Counter counter(String name, String description, String... tags) {
    String key = name + String.join("|", tags);
    Counter counter = counters.get(key);
    return counter != null ? counter
        : counters.computeIfAbsent(key, ignored -> Counter.builder(name).description(description).tags(tags)
            .register(registry));
  }
}
