package dev.portcullis.password;

import dev.portcullis.core.RequestContext;
import dev.portcullis.security.SecurityEvents;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the password capability tells the security events webhook (API.md, "Security events webhook") what
 * happened: {@code identity.locked_out} and {@code challenge.difficulty_raised}, through the signed webhook
 * sender ({@link SecurityEvents}: fire-and-forget, never holding a request up, and counted there), plus a log line
 * (no identity in clear).
 */
public final class SecurityAlerts {

  private static final Logger LOG = LoggerFactory.getLogger(SecurityAlerts.class);

  private final SecurityEvents events;

  public SecurityAlerts(SecurityEvents events) {
    this.events = events;
  }

  /**
   * {@code userId} is null for an identity without a user; {@code data} holds masked values only. The log line
   * carries {@code requestId}, bound here: this runs after a store's reply, on whichever context that came.
   */
  public void emit(String type, UUID appId, UUID userId, JsonObject data, String requestId) {
    RequestContext.bind(requestId);
    events.publish(type, appId, userId, null, data);
    LOG.warn("security event {} for app {} user {}: {}", type, appId, userId, data.encode());
  }
}
