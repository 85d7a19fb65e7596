package dev.portcullis.user;

import dev.portcullis.app.App;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A live session of a user as the admin API lists it: no token, no hash. */
public record LiveSession(UUID id, OffsetDateTime createdAt, OffsetDateTime lastUsedAt, OffsetDateTime expiresAt,
                          String clientIp, UUID tenantId, UUID deviceId) {

  static final String COLUMNS = "id, created_at, last_used_at, expires_at, client_ip, tenant_id, device_id";

  static LiveSession fromRow(Row row) {
    return new LiveSession(row.getUUID("id"), row.getOffsetDateTime("created_at"), row.getOffsetDateTime("last_used_at"),
        row.getOffsetDateTime("expires_at"), row.getString("client_ip"), row.getUUID("tenant_id"),
        row.getUUID("device_id"));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("created_at", App.rfc3339(createdAt))
        .put("last_used_at", App.rfc3339(lastUsedAt))
        .put("expires_at", App.rfc3339(expiresAt))
        .put("client_ip", clientIp)
        .put("tenant_id", tenantId == null ? null : tenantId.toString())
        .put("device_id", deviceId == null ? null : deviceId.toString());
  }
}
