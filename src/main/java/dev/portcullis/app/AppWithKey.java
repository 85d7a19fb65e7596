package dev.portcullis.app;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/** An app with its current signing key: what the admin API shows. */
public record AppWithKey(App app, String kid, String publicPem) {

  static AppWithKey fromRow(Row row) {
    return new AppWithKey(App.fromRow(row), row.getString("kid"), row.getString("public_pem"));
  }

  public JsonObject toJson(String issuer) {
    return app.toJson(issuer).put("jwt_public_key", publicPem);
  }
}
