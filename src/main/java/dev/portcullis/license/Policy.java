package dev.portcullis.license;

import dev.portcullis.app.App;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/** A license policy of one app: seats, duration, entitlements, heartbeat and offline rules its licenses follow. */
record Policy(UUID id, UUID appId, String name, int maxDevices, Long durationSeconds, JsonArray entitlements,
              Integer heartbeatInterval, int offlineTtl, int maxActivationsPerDay, OffsetDateTime createdAt,
              OffsetDateTime updatedAt) {

  static final String COLUMNS = "id, app_id, name, max_devices, duration_seconds, entitlements, heartbeat_interval, "
      + "offline_ttl, max_activations_per_day, created_at, updated_at";

  private static final List<String> CHANGEABLE = List.of("name", "max_devices", "duration_seconds",
      "entitlements", "heartbeat_interval", "offline_ttl", "max_activations_per_day");
  /** Room for the entitlement names in a policy_changed event (an event's data holds 8 KiB). */
  private static final int MAX_NAMES_BYTES = 2_048;

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

  /**
   * What a change made of {@code before}: each field that differs with its {@code from} and {@code to}, the
   * entitlements as the names {@code added} and {@code removed} (their counts when the names would crowd the event).
   */
  JsonObject changesFrom(Policy before) {
    JsonObject now = toJson();
    JsonObject then = before.toJson();
    JsonObject changes = new JsonObject();
    for (String field : CHANGEABLE) {
      // Entitlements are a set: a reordered list changes nothing a token or certificate says.
      boolean same = field.equals("entitlements")
          ? new HashSet<>(entitlements.getList()).equals(new HashSet<>(before.entitlements.getList()))
          : Objects.equals(now.getValue(field), then.getValue(field));
      if (same) {
        continue;
      }
      if (!field.equals("entitlements")) {
        changes.put(field, new JsonObject().put("from", then.getValue(field)).put("to", now.getValue(field)));
        continue;
      }
      List<Object> added = entitlements.stream().filter(e -> !before.entitlements.contains(e)).toList();
      List<Object> removed = before.entitlements.stream().filter(e -> !entitlements.contains(e)).toList();
      JsonObject names = new JsonObject().put("added", new JsonArray(added)).put("removed", new JsonArray(removed));
      changes.put(field, names.encode().length() <= MAX_NAMES_BYTES ? names
          : new JsonObject().put("added", added.size()).put("removed", removed.size()));
    }
    return changes;
  }

  static JsonArray jsonArray(Object value) {
    return value instanceof JsonArray array ? array : new JsonArray();
  }
}
