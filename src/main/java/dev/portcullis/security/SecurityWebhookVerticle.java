package dev.portcullis.security;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Metrics;
import dev.portcullis.webhook.Backoff;
import dev.portcullis.webhook.SignedWebhook;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers {@link SecurityEvents} to {@code PORTCULLIS_SECURITY_WEBHOOK_URL}, signed like the OTP webhook with
 * {@code PORTCULLIS_SECURITY_WEBHOOK_SECRET} and retried with the same back-off. Without a URL, events are
 * dropped. At most {@link #MAX_IN_FLIGHT} events are being delivered at once: a receiver that is down during a
 * flood costs bounded memory, and every event given up on counts in
 * {@code portcullis_security_webhook_failures_total}.
 */
public final class SecurityWebhookVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(SecurityWebhookVerticle.class);
  static final List<Long> BACKOFF_MS = List.of(500L, 1_000L, 2_000L);
  static final int MAX_IN_FLIGHT = 1_000;

  private WebClient web;
  private SignedWebhook webhook;
  private Backoff backoff;
  private Counter failures;
  private int inFlight;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    failures = Counter.builder("portcullis.security.webhook.failures")
        .description("Security events the security webhook could not deliver (after retries, or dropped)")
        .register(Metrics.registry(vertx));
    // Every type at 0 from the start: rate() and increase() need a sample before the first event, which is
    // otherwise lost to them after every start (the first lock-out after a deploy would raise no alert).
    SecurityEvents.TYPES.forEach(this::events);
    String url = config.optional(GatewayConfig.SECURITY_WEBHOOK_URL);
    if (url != null) {
      web = WebClient.create(vertx);
      webhook = new SignedWebhook(web, url, config.securityWebhookSecret());
      backoff = new Backoff(vertx, BACKOFF_MS);
    }
    return vertx.eventBus().<JsonObject>localConsumer(SecurityEvents.ADDRESS, message -> deliver(message.body()))
        .completion();
  }

  private Counter events(String type) {
    return Counter.builder("portcullis.security.events").description("security events raised, by type")
        .tag("type", type).register(Metrics.registry(vertx));
  }

  private void deliver(JsonObject event) {
    // Every event raised in this process passes here, whichever capability raised it (h82: only the password
    // capability's were counted), with or without a URL to send it to.
    events(String.valueOf(event.getString("type"))).increment();
    if (webhook == null) {
      return;
    }
    if (inFlight >= MAX_IN_FLIGHT) {
      failures.increment();
      LOG.warn("security event {} dropped: {} deliveries already pending", event.getString("type"), inFlight);
      return;
    }
    inFlight++;
    // Retries send the same body, so a receiver that took an earlier try can tell the event by its id (h43).
    Buffer body = event.copy().put("id", UUID.randomUUID().toString()).toBuffer();
    backoff.run(() -> webhook.post(body))
        .onFailure(failure -> {
          failures.increment();
          LOG.warn("security event {} of app {} not delivered: {}", event.getString("type"), event.getString("app_id"),
              failure.getMessage());
        })
        .onComplete(done -> inFlight--);
  }

  @Override
  public Future<?> stop() {
    if (inFlight > 0) {
      // Deliveries still trying (their retries wait on timers) end with the process: counted and logged as given up
      // on, as every undelivered event is (h82: they went without a trace).
      failures.increment(inFlight);
      LOG.warn("{} security events not delivered: the process is stopping", inFlight);
    }
    if (web != null) {
      web.close();
    }
    return Future.succeededFuture();
  }
}
