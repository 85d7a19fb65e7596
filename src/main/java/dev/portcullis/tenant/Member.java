package dev.portcullis.tenant;

import dev.portcullis.app.App;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** A user's membership of a tenant, with the roles the user holds there (names). */
public record Member(UUID userId, List<String> roles, OffsetDateTime addedAt) {

  static final String COLUMNS = "m.user_id, m.added_at, ARRAY(SELECT r.name FROM roles r "
      + "WHERE r.app_id = m.app_id AND r.id = ANY(m.roles) ORDER BY r.id) AS role_names";

  static Member fromRow(Row row) {
    return new Member(row.getUUID("user_id"), List.of(row.getArrayOfStrings("role_names")),
        row.getOffsetDateTime("added_at"));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("user_id", userId.toString())
        .put("roles", new JsonArray(roles))
        .put("added_at", App.rfc3339(addedAt));
  }
}
