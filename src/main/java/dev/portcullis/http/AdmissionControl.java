package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Admission control of one HTTP verticle: at most {@code PORTCULLIS_HTTP_MAX_IN_FLIGHT} requests of this event
 * loop are being served at once; one more is answered {@code 503 unavailable} with {@code Retry-After: 1} at once,
 * before its body is read, instead of joining a queue in which every request would wait into its client's
 * timeout. A spike then costs the refused callers a retry and keeps the admitted ones as fast as usual.
 * Event-loop confined: one instance per verticle, no lock.
 */
public final class AdmissionControl implements Handler<RoutingContext> {

  /** Counted by the metric, never logged one by one: under overload a line each would add to the load. */
  private static final ApiException AT_CAPACITY = new ApiException(ErrorCode.UNAVAILABLE,
      "the gateway is at capacity, retry shortly", new JsonObject().put("retry_after", 1)).markLogged();

  private final int maxInFlight;
  private final Counter rejected;
  private int inFlight;

  public AdmissionControl(int maxInFlight, MeterRegistry registry) {
    this.maxInFlight = maxInFlight;
    this.rejected = Counter.builder("portcullis.http.admission.rejected")
        .description("requests answered 503 at once because their event loop already served its maximum")
        .register(registry);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (maxInFlight > 0 && inFlight >= maxInFlight) {
      rejected.increment();
      // Through the failure handlers, so a browser's page is refused with a page, an API call with JSON.
      ctx.fail(AT_CAPACITY);
      return;
    }
    inFlight++;
    ctx.addEndHandler(done -> inFlight--);
    ctx.next();
  }
}
