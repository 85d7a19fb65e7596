package dev.portcullis.security;

import dev.portcullis.core.Bus;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.Issue;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** Logins and refreshes for the hardening tests: a user inserted in Postgres, a session issued over the bus. */
final class SecurityFixture {

  private SecurityFixture() {
  }

  static JsonObject login(TestGateway gateway, JsonObject app, String email) {
    UUID userId = UUID.randomUUID();
    try (Connection connection = gateway.jdbc();
         PreparedStatement insert = connection.prepareStatement("INSERT INTO users (id, app_id, email) VALUES (?, ?, ?)")) {
      insert.setObject(1, userId);
      insert.setObject(2, UUID.fromString(app.getString("app_id")));
      insert.setString(3, email);
      insert.executeUpdate();
      Issue request = Issue.login(UUID.fromString(app.getString("app_id")), userId, false, "test-" + UUID.randomUUID(),
          "203.0.113.7");
      return gateway.vertx().eventBus().<Grant>request(Bus.TOKEN_ISSUE.name(), request)
          .map(reply -> reply.body().toJson())
          .await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("login failed", e);
    }
  }

  static ApiResponse refresh(TestGateway gateway, JsonObject app, String refreshToken) {
    return gateway.http().post("/auth/refresh", credentials(app).put("refresh_token", refreshToken));
  }

  static JsonObject credentials(JsonObject app) {
    return new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"));
  }

  static String userId(JsonObject login) {
    return login.getJsonObject("user").getString("id");
  }

  static String sessionId(JsonObject login) {
    return claims(login.getString("access_token")).getString("sid");
  }

  static JsonObject claims(String jwt) {
    return dev.portcullis.testing.JwtClaims.of(jwt);
  }
}
