package dev.portcullis.hosted;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Conversion and drop-off of hosted flows: how often each step is shown and passed, per flow kind, and how flows
 * end. Shown minus passed is a step's drop-off. Labels carry kinds, steps and outcomes only.
 */
public final class HostedMetrics {

  private final MeterRegistry registry;

  public HostedMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public void shown(String kind, Flow.Step step) {
    step(kind, step, "shown");
  }

  public void passed(String kind, Flow.Step step) {
    step(kind, step, "passed");
  }

  /**
   * started, completed, refused (a bad link), expired (a form of a flow that is gone), rate_limited, not_navigation
   * (a start loaded as an image, a frame or a fetch).
   */
  public void flow(String kind, String outcome) {
    Counter.builder("portcullis.hosted.flows")
        .description("Hosted flows by kind and outcome")
        .tag("kind", kind)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** exchanged, reused, refused. */
  public void codeExchange(String outcome) {
    Counter.builder("portcullis.hosted.code.exchanges")
        .description("Authorization code exchanges by outcome")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  private void step(String kind, Flow.Step step, String event) {
    Counter.builder("portcullis.hosted.steps")
        .description("Hosted flow steps shown and passed, by kind and step")
        .tag("kind", kind)
        .tag("step", step.name().toLowerCase(java.util.Locale.ROOT))
        .tag("event", event)
        .register(registry)
        .increment();
  }
}
