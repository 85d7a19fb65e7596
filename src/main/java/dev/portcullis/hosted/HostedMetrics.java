package dev.portcullis.hosted;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * Conversion and drop-off of hosted flows: how often each step is shown and passed, per flow kind, and how flows
 * end. Shown minus passed is a step's drop-off. Labels carry kinds, steps and outcomes only.
 */
public final class HostedMetrics {

  private final MeterRegistry registry;

  public HostedMetrics(MeterRegistry registry) {
    this.registry = registry;
    // The sign-in pages' series exist from the start at 0: rate() and increase() need a sample before the first
    // event, which is otherwise lost to them after every start.
    for (Flow.Step step : Flow.Step.values()) {
      steps(AutzKind.NAME, step, "shown");
      steps(AutzKind.NAME, step, "passed");
    }
    for (String outcome : List.of("started", "completed", "refused", "expired", "rate_limited")) {
      flows(AutzKind.NAME, outcome);
    }
    for (String outcome : List.of("exchanged", "reused", "refused")) {
      codeExchanges(outcome);
    }
  }

  public void shown(String kind, Flow.Step step) {
    steps(kind, step, "shown").increment();
  }

  public void passed(String kind, Flow.Step step) {
    steps(kind, step, "passed").increment();
  }

  /**
   * started, completed, refused (a bad link), expired (a form of a flow that is gone), rate_limited, not_navigation
   * (a start loaded as an image, a frame or a fetch).
   */
  public void flow(String kind, String outcome) {
    flows(kind, outcome).increment();
  }

  /** exchanged, reused, refused. */
  public void codeExchange(String outcome) {
    codeExchanges(outcome).increment();
  }

  private Counter flows(String kind, String outcome) {
    return Counter.builder("portcullis.hosted.flows")
        .description("Hosted flows by kind and outcome")
        .tag("kind", kind)
        .tag("outcome", outcome)
        .register(registry);
  }

  private Counter codeExchanges(String outcome) {
    return Counter.builder("portcullis.hosted.code.exchanges")
        .description("Authorization code exchanges by outcome")
        .tag("outcome", outcome)
        .register(registry);
  }

  private Counter steps(String kind, Flow.Step step, String event) {
    return Counter.builder("portcullis.hosted.steps")
        .description("Hosted flow steps shown and passed, by kind and step")
        .tag("kind", kind)
        .tag("step", step.name().toLowerCase(java.util.Locale.ROOT))
        .tag("event", event)
        .register(registry);
  }
}
