package dev.portcullis.user;

import dev.portcullis.app.App;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/** An end user of one app, known by an email or a phone. */
public record User(UUID id, UUID appId, String email, String phone, OffsetDateTime createdAt) {

  static final String COLUMNS = "id, app_id, email, phone, created_at";

  static User fromRow(Row row) {
    return new User(row.getUUID("id"), row.getUUID("app_id"), row.getString("email"), row.getString("phone"),
        row.getOffsetDateTime("created_at"));
  }

  /** The {@code user} object of the token response. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("email", email)
        .put("phone", phone)
        .put("created_at", App.rfc3339(createdAt));
  }
}
