package dev.portcullis.license;

import dev.portcullis.app.App;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A license policy of one app: seats, duration, entitlements, heartbeat and offline rules its licenses follow. */
record Policy(UUID id, UUID appId, String name, int maxDevices, Long durationSeconds, JsonArray entitlements,
              Integer heartbeatInterval, int offlineTtl, int maxActivationsPerDay, OffsetDateTime createdAt,
              OffsetDateTime updatedAt) {

  static final String COLUMNS = "id, app_id, name, max_devices, duration_seconds, entitlements, heartbeat_interval, "
      + "offline_ttl, max_activations_per_day, created_at, updated_at";

  static Policy fromRow(Row row) {
    return new Policy(row.getUUID("id"), row.getUUID("app_id"), row.getString("name"), row.getInteger("max_devices"),
        row.getLong("duration_seconds"), jsonArray(row.getValue("entitlements")), row.getInteger("heartbeat_interval"),
        row.getInteger("offline_ttl"), row.getInteger("max_activations_per_day"), row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("updated_at"));
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("policy_id", id.toString())
        .put("app_id", appId.toString())
        .put("name", name)
        .put("max_devices", maxDevices)
        .put("duration_seconds", durationSeconds)
        .put("entitlements", entitlements.copy())
        .put("heartbeat_interval", heartbeatInterval)
        .put("offline_ttl", offlineTtl)
        .put("max_activations_per_day", maxActivationsPerDay)
        .put("created_at", App.rfc3339(createdAt))
        .put("updated_at", App.rfc3339(updatedAt));
  }

  static JsonArray jsonArray(Object value) {
    return value instanceof JsonArray array ? array : new JsonArray();
  }
}
