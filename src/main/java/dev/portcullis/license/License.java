package dev.portcullis.license;

import dev.portcullis.app.App;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A license with the rules of its policy. {@code status} is what clients see: the stored status
 * ({@code active}, {@code suspended}, {@code revoked}), or {@code expired} for an active license past its
 * {@code expires_at} (measured by the database clock when the row was read). Revoked outranks suspended,
 * suspended outranks expired.
 */
record License(UUID id, UUID appId, UUID policyId, UUID userId, String keyHint, String name, JsonObject metadata,
               String status, OffsetDateTime expiresAt, OffsetDateTime createdAt, int maxDevices,
               JsonArray entitlements, Integer heartbeatInterval, int offlineTtl, int maxActivationsPerDay) {

  static final String ACTIVE = "active";
  static final String SUSPENDED = "suspended";
  static final String REVOKED = "revoked";
  static final String EXPIRED = "expired";

  /** Columns of {@code licenses l JOIN license_policies p}. */
  static final String COLUMNS = "l.id, l.app_id, l.policy_id, l.user_id, l.key_hint, l.name, l.metadata, l.status, "
      + "l.expires_at, l.created_at, p.max_devices, p.entitlements, p.heartbeat_interval, p.offline_ttl, "
      + "p.max_activations_per_day, (l.expires_at IS NOT NULL AND l.expires_at <= now()) AS expired";
  static final String FROM = " FROM licenses l JOIN license_policies p ON p.id = l.policy_id ";

  static License fromRow(Row row) {
    String stored = row.getString("status");
    String status = ACTIVE.equals(stored) && row.getBoolean("expired") ? EXPIRED : stored;
    Object metadata = row.getValue("metadata");
    return new License(row.getUUID("id"), row.getUUID("app_id"), row.getUUID("policy_id"), row.getUUID("user_id"),
        row.getString("key_hint"), row.getString("name"), metadata instanceof JsonObject json ? json : new JsonObject(),
        status, row.getOffsetDateTime("expires_at"), row.getOffsetDateTime("created_at"), row.getInteger("max_devices"),
        Policy.jsonArray(row.getValue("entitlements")), row.getInteger("heartbeat_interval"),
        row.getInteger("offline_ttl"), row.getInteger("max_activations_per_day"));
  }

  boolean active() {
    return ACTIVE.equals(status);
  }

  /** The refusal of a device call that needs an active license; null when it is active. */
  ApiException refusal() {
    return switch (status) {
      case REVOKED -> new ApiException(ErrorCode.LICENSE_REVOKED, "key: this license has been revoked");
      case SUSPENDED -> new ApiException(ErrorCode.LICENSE_SUSPENDED, "key: this license is suspended");
      case EXPIRED -> new ApiException(ErrorCode.LICENSE_EXPIRED, "key: this license has expired");
      default -> null;
    };
  }

  /** The verify code of the license itself: VALID, EXPIRED, SUSPENDED or REVOKED. */
  String verifyCode() {
    return active() ? "VALID" : status.toUpperCase(java.util.Locale.ROOT);
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("license_id", id.toString())
        .put("key_hint", keyHint)
        .put("status", status)
        .put("policy_id", policyId.toString())
        .put("user_id", userId == null ? null : userId.toString())
        .put("name", name)
        .put("metadata", metadata.copy())
        .put("entitlements", entitlements.copy())
        .put("max_devices", maxDevices)
        .put("heartbeat_interval", heartbeatInterval)
        .put("expires_at", App.rfc3339(expiresAt))
        .put("created_at", App.rfc3339(createdAt));
  }
}
