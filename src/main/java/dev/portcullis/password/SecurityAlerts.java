package dev.portcullis.password;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the password capability tells the security events webhook (API.md, "Security events webhook") what
 * happened: {@code identity.locked_out} and {@code challenge.difficulty_raised}. The events are published,
 * fire-and-forget, on the process's security-event address as {@code {type, app_id, user_id, at, data}}, the
 * shape the signed webhook sender of the hardening work consumes; until that sender is on main nothing else
 * listens, so each event is also logged (no identity in clear) and counted. Wiring the sender's own publisher
 * is a change of {@link #emit} alone. Never holds a request up.
 */
public final class SecurityAlerts {

  /** The process-local address security events are published on (the webhook sender listens there). */
  public static final String ADDRESS = "portcullis.security.event";
  public static final String IDENTITY_LOCKED_OUT = "identity.locked_out";
  public static final String DIFFICULTY_RAISED = "challenge.difficulty_raised";

  private static final Logger LOG = LoggerFactory.getLogger(SecurityAlerts.class);

  private final Vertx vertx;
  private final MeterRegistry registry;

  public SecurityAlerts(Vertx vertx, MeterRegistry registry) {
    this.vertx = vertx;
    this.registry = registry;
  }

  /** {@code userId} is null for an identity without a user; {@code data} holds masked values only. */
  public void emit(String type, UUID appId, UUID userId, JsonObject data) {
    JsonObject event = new JsonObject()
        .put("type", type)
        .put("app_id", appId.toString())
        .put("user_id", userId == null ? null : userId.toString())
        .put("at", Instant.now().toString())
        .put("data", data);
    vertx.eventBus().publish(ADDRESS, event);
    Counter.builder("portcullis.security.events").description("security events raised").tag("type", type)
        .register(registry).increment();
    LOG.warn("security event {} for app {} user {}: {}", type, appId, userId, data.encode());
  }
}
