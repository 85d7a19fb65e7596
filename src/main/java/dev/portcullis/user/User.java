package dev.portcullis.user;

import dev.portcullis.app.App;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * An end user of one app, known by an email or a phone. The password hash never leaves the database: rows
 * carry only whether there is one. Rows of the find-or-create path hold the identity columns only; the
 * other fields then keep their defaults.
 */
public record User(UUID id, UUID appId, String email, String phone, boolean emailVerified, boolean phoneVerified,
                   JsonObject profile, List<String> roles, boolean disabled, boolean hasPassword,
                   OffsetDateTime createdAt, OffsetDateTime lastLoginAt) {

  /** The profile fields an app may keep about a user. */
  public static final List<String> PROFILE_FIELDS = List.of("name", "address", "gender", "dob");

  /** The identity columns: what a login needs. */
  static final String COLUMNS = "id, app_id, email, phone, created_at";

  /** Every field of the admin API's user object, for a query over {@code users u}. */
  static final String FULL_COLUMNS = "u.id, u.app_id, u.email, u.phone, u.email_verified, u.phone_verified, "
      + "u.profile, u.disabled, u.password_hash IS NOT NULL AS has_password, u.created_at, u.last_login_at, "
      + "ARRAY(SELECT r.name FROM user_roles ur JOIN roles r ON r.app_id = ur.app_id AND r.id = ur.role_id "
      + "WHERE ur.user_id = u.id ORDER BY r.id) AS roles";

  static User fromRow(Row row) {
    boolean full = row.getColumnIndex("has_password") >= 0;
    Object profile = full ? row.getValue("profile") : null;
    String[] roles = full ? row.getArrayOfStrings("roles") : null;
    return new User(row.getUUID("id"), row.getUUID("app_id"), row.getString("email"), row.getString("phone"),
        full && row.getBoolean("email_verified"), full && row.getBoolean("phone_verified"),
        profile instanceof JsonObject json ? json : new JsonObject(),
        roles == null ? List.of() : List.of(roles),
        full && row.getBoolean("disabled"), full && row.getBoolean("has_password"),
        row.getOffsetDateTime("created_at"), full ? row.getOffsetDateTime("last_login_at") : null);
  }

  /**
   * The user object of the admin API: {@code {id, email, phone, email_verified, phone_verified, profile:
   * {name, address, gender, dob}, roles, disabled, has_password, created_at, last_login_at}}. Never a hash,
   * a code or a token.
   */
  public JsonObject toJson() {
    JsonObject shownProfile = new JsonObject();
    for (String field : PROFILE_FIELDS) {
      shownProfile.put(field, profile.getValue(field));
    }
    return new JsonObject()
        .put("id", id.toString())
        .put("email", email)
        .put("phone", phone)
        .put("email_verified", emailVerified)
        .put("phone_verified", phoneVerified)
        .put("profile", shownProfile)
        .put("roles", new JsonArray(roles))
        .put("disabled", disabled)
        .put("has_password", hasPassword)
        .put("created_at", App.rfc3339(createdAt))
        .put("last_login_at", App.rfc3339(lastLoginAt));
  }
}
