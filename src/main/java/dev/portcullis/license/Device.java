package dev.portcullis.license;

import dev.portcullis.app.App;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A device of a license: its fingerprint, name and platform, when it was first and last seen, its last
 * heartbeat, and whether it still holds a seat. {@code heartbeatDead}: its license wants heartbeats and the
 * last one is older than one interval (the housekeeping job frees the seat after two).
 */
record Device(UUID id, UUID licenseId, String fingerprint, String name, String platform, OffsetDateTime firstSeenAt,
              OffsetDateTime lastSeenAt, OffsetDateTime lastHeartbeatAt, OffsetDateTime deactivatedAt,
              String deactivationReason, boolean heartbeatDead, OffsetDateTime heartbeatFrom) {

  /**
   * A device {@code d} silent past the heartbeat interval of its policy {@code p}, counted from its last heartbeat
   * and from when the policy took that interval (V113): what verify calls HEARTBEAT_DEAD.
   */
  static final String SILENT = "(p.heartbeat_interval IS NOT NULL "
      + "AND d.last_heartbeat_at < now() - p.heartbeat_interval * interval '1 second' "
      + "AND p.heartbeat_since < now() - p.heartbeat_interval * interval '1 second')";

  /** Columns of {@code license_devices d}, aliased with a {@code d_} prefix, and of the policy {@code p}. */
  static final String COLUMNS = "d.id AS d_id, d.license_id AS d_license_id, d.fingerprint AS d_fingerprint, "
      + "d.name AS d_name, d.platform AS d_platform, d.activated_at AS d_activated_at, "
      + "d.last_seen_at AS d_last_seen_at, d.last_heartbeat_at AS d_last_heartbeat_at, "
      + "d.deactivated_at AS d_deactivated_at, d.deactivation_reason AS d_deactivation_reason, "
      + "coalesce(d.deactivated_at IS NULL AND " + SILENT + ", false) AS d_heartbeat_dead, "
      // Whence the next heartbeat is due: the last one, or the policy's taking its interval when later (V113).
      + "greatest(d.last_heartbeat_at, p.heartbeat_since) AS d_heartbeat_from";

  /** The device of a row, or null when the row's device columns are empty (an outer join found none). */
  static Device fromRow(Row row) {
    UUID id = row.getUUID("d_id");
    if (id == null) {
      return null;
    }
    return new Device(id, row.getUUID("d_license_id"), row.getString("d_fingerprint"), row.getString("d_name"),
        row.getString("d_platform"), row.getOffsetDateTime("d_activated_at"), row.getOffsetDateTime("d_last_seen_at"),
        row.getOffsetDateTime("d_last_heartbeat_at"), row.getOffsetDateTime("d_deactivated_at"),
        row.getString("d_deactivation_reason"), row.getBoolean("d_heartbeat_dead"),
        row.getOffsetDateTime("d_heartbeat_from"));
  }

  boolean active() {
    return deactivatedAt == null;
  }

  /** When the next heartbeat is due, or null when the license wants none (or the device is gone). */
  OffsetDateTime nextHeartbeatBefore(Integer heartbeatInterval) {
    return heartbeatInterval == null || !active() ? null : heartbeatFrom.plusSeconds(heartbeatInterval);
  }

  JsonObject toJson(Integer heartbeatInterval) {
    return new JsonObject()
        .put("device_id", id.toString())
        .put("license_id", licenseId.toString())
        .put("fingerprint", fingerprint)
        .put("name", name)
        .put("platform", platform)
        .put("active", active())
        .put("first_seen_at", App.rfc3339(firstSeenAt))
        .put("last_seen_at", App.rfc3339(lastSeenAt))
        .put("last_heartbeat_at", App.rfc3339(lastHeartbeatAt))
        .put("next_heartbeat_before", App.rfc3339(nextHeartbeatBefore(heartbeatInterval)))
        .put("deactivated_at", App.rfc3339(deactivatedAt))
        .put("deactivation_reason", deactivationReason);
  }
}
