package dev.portcullis.oidc;

import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Set;
import java.util.UUID;

/**
 * A user's claims by the standard names of OpenID Connect Core §5.1, as far as the granted scopes reach:
 * {@code email} → email, email_verified; {@code phone} → phone_number, phone_number_verified; {@code profile} →
 * name, gender, birthdate, address.formatted (the hosted pages' profile answers). Claims without a value are left out.
 */
final class UserClaims {

  private static final String USER =
      "SELECT id, email, email_verified, phone, phone_verified, profile FROM users "
          + "WHERE id = $1 AND app_id = $2 AND NOT disabled";

  private final Postgres pg;

  UserClaims(Postgres pg) {
    this.pg = pg;
  }

  /** {@code sub} and the scopes' claims, or null when the user is gone or disabled. */
  Future<JsonObject> of(UUID appId, UUID userId, Set<String> scopes) {
    return pg.run(pool -> pool.preparedQuery(USER).execute(Tuple.of(userId, appId)))
        .map(rows -> rows.rowCount() == 0 ? null : claims(rows.iterator().next(), scopes));
  }

  private static JsonObject claims(Row row, Set<String> scopes) {
    JsonObject claims = new JsonObject().put("sub", row.getUUID("id").toString());
    if (scopes.contains(Scopes.EMAIL) && row.getString("email") != null) {
      claims.put("email", row.getString("email")).put("email_verified", row.getBoolean("email_verified"));
    }
    if (scopes.contains(Scopes.PHONE) && row.getString("phone") != null) {
      claims.put("phone_number", row.getString("phone")).put("phone_number_verified", row.getBoolean("phone_verified"));
    }
    if (scopes.contains(Scopes.PROFILE)) {
      Object stored = row.getValue("profile");
      JsonObject profile = stored instanceof JsonObject json ? json : new JsonObject();
      putIfPresent(claims, "name", profile.getString("name"));
      putIfPresent(claims, "gender", profile.getString("gender"));
      putIfPresent(claims, "birthdate", profile.getString("dob"));
      String address = profile.getString("address");
      if (address != null) {
        claims.put("address", new JsonObject().put("formatted", address));
      }
    }
    return claims;
  }

  private static void putIfPresent(JsonObject claims, String name, String value) {
    if (value != null) {
      claims.put(name, value);
    }
  }
}
