package dev.portcullis.tenant;

import dev.portcullis.app.App;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A tenant of an app (an organisation, a shop, a school: the app decides). */
public record Tenant(UUID id, UUID appId, String name, String slug, OffsetDateTime createdAt) {

  static final String COLUMNS = "id, app_id, name, slug, created_at";

  static Tenant fromRow(Row row) {
    return new Tenant(row.getUUID("id"), row.getUUID("app_id"), row.getString("name"), row.getString("slug"),
        row.getOffsetDateTime("created_at"));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("tenant_id", id.toString())
        .put("name", name)
        .put("slug", slug)
        .put("created_at", App.rfc3339(createdAt));
  }
}
