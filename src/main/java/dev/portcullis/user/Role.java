package dev.portcullis.user;

import dev.portcullis.app.App;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;

/** A role of an app's catalogue: a built-in (ids 1–5) or a custom one (ids from 100). */
public record Role(int id, String name, String description, boolean builtin, OffsetDateTime createdAt) {

  static final String COLUMNS = "id, name, description, builtin, created_at";

  static Role fromRow(Row row) {
    return new Role(row.getInteger("id"), row.getString("name"), row.getString("description"),
        row.getBoolean("builtin"), row.getOffsetDateTime("created_at"));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("name", name)
        .put("description", description)
        .put("builtin", builtin)
        .put("created_at", App.rfc3339(createdAt));
  }
}
