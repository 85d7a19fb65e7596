package dev.portcullis.conversation;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.UUID;

/** One conversation as stored; {@code status} is already EXPIRED when its time ran out before it finished. */
public record Conversation(UUID id, UUID appId, String userKey, String returnUrl, JsonObject query, String status,
                           JsonObject result, boolean boundElsewhere) {

  static final String COLUMNS = "id, app_id, user_key, return_url, query, result, "
      + "CASE WHEN status <> 'FINISHED' AND expires_at <= now() THEN 'EXPIRED' ELSE status END AS status";

  static Conversation fromRow(Row row, boolean boundElsewhere) {
    return new Conversation(row.getUUID("id"), row.getUUID("app_id"), row.getString("user_key"),
        row.getString("return_url"), (JsonObject) row.getValue("query"), row.getString("status"),
        (JsonObject) row.getValue("result"), boundElsewhere);
  }

  /** The answer of {@code GET /api/conversations/{id}}. */
  JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("status", status)
        .put("userKey", userKey)
        .put("returnUrl", returnUrl)
        .put("result", result);
  }

  boolean open() {
    return status.equals("CREATED") || status.equals("IN_PROGRESS");
  }

  /** The challenge the backend sent, or null for a registration. */
  String challenge() {
    JsonObject auth = query.getJsonObject("auth");
    return auth == null ? null : auth.getString("challenge");
  }
}
