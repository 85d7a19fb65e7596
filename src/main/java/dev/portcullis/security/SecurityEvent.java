package dev.portcullis.security;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;

/**
 * One security event as the webhook receiver gets it: {@code {type, app_id, user_id, session_id?, at, data}}.
 * {@code userId} is null for an identity without a user; {@code data} never holds a secret, a code, a token or
 * a full email or phone (mask them).
 */
public record SecurityEvent(String type, UUID appId, UUID userId, UUID sessionId, Instant at, JsonObject data) {

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("type", type)
        .put("app_id", appId == null ? null : appId.toString())
        .put("user_id", userId == null ? null : userId.toString());
    if (sessionId != null) {
      json.put("session_id", sessionId.toString());
    }
    return json.put("at", at.toString()).put("data", data == null ? new JsonObject() : data);
  }

  static SecurityEvent fromJson(JsonObject json) {
    return new SecurityEvent(json.getString("type"), uuid(json.getString("app_id")), uuid(json.getString("user_id")),
        uuid(json.getString("session_id")), Instant.parse(json.getString("at")), json.getJsonObject("data"));
  }

  private static UUID uuid(String text) {
    return text == null ? null : UUID.fromString(text);
  }
}
