package dev.portcullis.security;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The one way any verticle reports a security event: {@code new SecurityEvents(vertx).publish(type, appId,
 * userId, sessionId, data)}. Fire-and-forget: it hands the event to the process's
 * {@link SecurityWebhookVerticle} over the event bus and returns at once, so a request is never held up by
 * the receiver; delivery, signing, retries and the failure metric are the verticle's.
 */
public final class SecurityEvents {

  /**
   * Event-bus address (local to the process): the JSON of a {@link SecurityEvent}, published (every consumer of
   * the process sees it: the webhook verticle, and a test's tap), no reply.
   */
  public static final String ADDRESS = "portcullis.security.event";

  public static final String REFRESH_TOKEN_REUSED = "refresh_token.reused";
  public static final String IDENTITY_LOCKED_OUT = "identity.locked_out";
  public static final String OWNER_SIGNUP_REFUSED = "owner.signup_refused";
  public static final String USER_DISABLED = "user.disabled";
  public static final String CHALLENGE_DIFFICULTY_RAISED = "challenge.difficulty_raised";
  public static final String LICENSE_DEVICE_LIMIT_REACHED = "license.device_limit_reached";
  /** Every type this gateway raises. */
  public static final List<String> TYPES = List.of(REFRESH_TOKEN_REUSED, IDENTITY_LOCKED_OUT, OWNER_SIGNUP_REFUSED,
      USER_DISABLED, CHALLENGE_DIFFICULTY_RAISED, LICENSE_DEVICE_LIMIT_REACHED);

  private final Vertx vertx;

  public SecurityEvents(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Reports an event now; {@code userId} and {@code sessionId} may be null. */
  public void publish(String type, UUID appId, UUID userId, UUID sessionId, JsonObject data) {
    publish(new SecurityEvent(type, appId, userId, sessionId, Instant.now(), data == null ? new JsonObject() : data));
  }

  public void publish(SecurityEvent event) {
    vertx.eventBus().publish(ADDRESS, event.toJson());
  }
}
