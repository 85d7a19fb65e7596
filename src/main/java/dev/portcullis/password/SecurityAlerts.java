package dev.portcullis.password;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the password capability tells the security events webhook (API.md, "Security events webhook") what
 * happened: {@code identity.locked_out} and {@code challenge.difficulty_raised}. The signed sender is built by
 * the hardening work; until it is on main, events go to this one method, which logs them (no identity in clear)
 * and counts them, so wiring the webhook is a one-line change here. Never holds a request up.
 */
public final class SecurityAlerts {

  public static final String IDENTITY_LOCKED_OUT = "identity.locked_out";
  public static final String DIFFICULTY_RAISED = "challenge.difficulty_raised";

  private static final Logger LOG = LoggerFactory.getLogger(SecurityAlerts.class);

  private final MeterRegistry registry;

  public SecurityAlerts(MeterRegistry registry) {
    this.registry = registry;
  }

  /** {type, app_id, user_id (null for an identity without a user), data}; {@code data} holds masked values only. */
  public void emit(String type, UUID appId, UUID userId, JsonObject data) {
    Counter.builder("portcullis.security.events").description("security events raised").tag("type", type)
        .register(registry).increment();
    LOG.warn("security event {} for app {} user {}: {}", type, appId, userId, data.encode());
  }
}
