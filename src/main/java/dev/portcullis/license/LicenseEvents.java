package dev.portcullis.license;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;

/** The audit event types of licenses, and the security event the webhook gets when a seat limit refuses a device. */
final class LicenseEvents {

  static final String POLICY_CREATED = "license.policy_created";
  static final String POLICY_CHANGED = "license.policy_changed";
  static final String POLICY_DELETED = "license.policy_deleted";
  static final String CREATED = "license.created";
  static final String SUSPENDED = "license.suspended";
  static final String REINSTATED = "license.reinstated";
  static final String REVOKED = "license.revoked";
  static final String EXPIRED = "license.expired";
  static final String DEVICE_ACTIVATED = "license.device_activated";
  static final String DEVICE_DEACTIVATED = "license.device_deactivated";
  static final String ACTIVATION_REFUSED = "license.activation_refused";
  static final String CERTIFICATE_ISSUED = "license.certificate_issued";

  /** Why sessions bound to a device were revoked (the reason of their session.revoked events). */
  static final String REASON_DEVICE_DEACTIVATED = "device_deactivated";
  static final String REASON_LICENSE_SUSPENDED = "license_suspended";
  static final String REASON_LICENSE_REVOKED = "license_revoked";
  static final String REASON_LICENSE_EXPIRED = "license_expired";

  /** The security webhook's event (API.md, "Security events webhook"). */
  static final String SECURITY_DEVICE_LIMIT_REACHED = "license.device_limit_reached";
  /**
   * The process-local address the security webhook sender consumes ({@code security.SecurityEvents.ADDRESS} on
   * the hardening branch): {type, app_id, user_id, session_id?, at, data}, no reply.
   */
  static final String SECURITY_EVENT_ADDRESS = "portcullis.security.event";

  private LicenseEvents() {
  }

  /**
   * Tells the security webhook that a seat limit refused a device. The one place licenses emit security events:
   * once the hardening work's {@code SecurityEvents} is on main, this becomes a call to its {@code publish}.
   */
  static void deviceLimitReached(Vertx vertx, UUID appId, UUID userId, JsonObject data) {
    JsonObject event = new JsonObject()
        .put("type", SECURITY_DEVICE_LIMIT_REACHED)
        .put("app_id", appId.toString())
        .put("user_id", userId == null ? null : userId.toString())
        .put("at", Instant.now().toString())
        .put("data", data);
    vertx.eventBus().send(SECURITY_EVENT_ADDRESS, event);
  }
}
