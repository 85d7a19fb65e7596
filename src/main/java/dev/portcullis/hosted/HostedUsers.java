package dev.portcullis.hosted;

import dev.portcullis.core.Postgres;
import dev.portcullis.core.messages.OtpMessages;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The hosted pages' SQL on users: the profile answers a page collected, and the user data a code exchange answers. */
public final class HostedUsers {

  private static final String SAVE_PROFILE =
      "UPDATE users SET profile = profile || $3::jsonb WHERE id = $1 AND app_id = $2";
  private static final String USER_DATA =
      "SELECT id, email, phone, profile FROM users WHERE id = $1 AND app_id = $2";

  private static final String DISABLED = "SELECT disabled FROM users WHERE id = $1 AND app_id = $2";

  private static final String PASSWORD =
      "SELECT password_hash, password_generation FROM users WHERE id = $1 AND app_id = $2";

  private final Postgres pg;

  public HostedUsers(Postgres pg) {
    this.pg = pg;
  }

  /** Merges the answers into the user's profile (fields not answered keep their values). */
  public Future<Void> saveProfile(UUID appId, UUID userId, Map<String, String> answers) {
    if (answers.isEmpty()) {
      return Future.succeededFuture();
    }
    JsonObject profile = new JsonObject();
    answers.forEach(profile::put);
    return pg.run(pool -> pool.preparedQuery(SAVE_PROFILE).execute(Tuple.of(userId, appId, profile))).mapEmpty();
  }

  /**
   * The answers the user's profile already holds for {@code fields} (blank ones left out): a returning user is not
   * asked again for what the app keeps.
   */
  public Future<Map<String, String>> savedAnswers(UUID appId, UUID userId, List<String> fields) {
    return pg.run(pool -> pool.preparedQuery(USER_DATA).execute(Tuple.of(userId, appId))).map(rows -> {
      Map<String, String> saved = new LinkedHashMap<>();
      if (rows.rowCount() > 0 && rows.iterator().next().getValue("profile") instanceof JsonObject profile) {
        for (String field : fields) {
          if (profile.getValue(field) instanceof String value && !value.isBlank()) {
            saved.put(field, value);
          }
        }
      }
      return saved;
    });
  }

  /** What a flow signed in as may still finish as: the user may have been disabled or deleted since. */
  public enum Standing { ACTIVE, DISABLED, GONE }

  /** The user's standing now, read at the end of a flow that proved it minutes ago. */
  public Future<Standing> standing(UUID appId, UUID userId) {
    return pg.run(pool -> pool.preparedQuery(DISABLED).execute(Tuple.of(userId, appId))).map(rows -> {
      if (rows.rowCount() == 0) {
        return Standing.GONE;
      }
      return rows.iterator().next().getBoolean("disabled") ? Standing.DISABLED : Standing.ACTIVE;
    });
  }

  /** Whether the user's password is still the one a sign-in's {@code credential} proved (false: no such user). */
  public Future<Boolean> stillProves(UUID appId, UUID userId, String credential) {
    return pg.run(pool -> pool.preparedQuery(PASSWORD).execute(Tuple.of(userId, appId))).map(rows -> {
      if (rows.rowCount() == 0) {
        return false;
      }
      Row row = rows.iterator().next();
      return OtpMessages.Proven.stillProves(credential, row.getString("password_hash"),
          row.getLong("password_generation"));
    });
  }

  /** The Autz.org UserData of a user: {id, name, email, phone, address, gender, dob}, or null when it is gone. */
  public Future<JsonObject> userData(UUID appId, UUID userId) {
    return pg.run(pool -> pool.preparedQuery(USER_DATA).execute(Tuple.of(userId, appId)))
        .map(rows -> rows.rowCount() == 0 ? null : userData(rows.iterator().next()));
  }

  private static JsonObject userData(Row row) {
    Object stored = row.getValue("profile");
    JsonObject profile = stored instanceof JsonObject json ? json : new JsonObject();
    return new JsonObject()
        .put("id", row.getUUID("id").toString())
        .put("name", profile.getString("name"))
        .put("email", row.getString("email"))
        .put("phone", row.getString("phone"))
        .put("address", profile.getString("address"))
        .put("gender", profile.getString("gender"))
        .put("dob", profile.getString("dob"));
  }
}
