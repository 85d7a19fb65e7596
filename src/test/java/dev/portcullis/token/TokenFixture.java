package dev.portcullis.token;

import dev.portcullis.core.Bus;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.Issue;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** What the token tests share: users in Postgres, logins over the event bus, calls as a client backend. */
final class TokenFixture {

  private TokenFixture() {
  }

  /** Inserts a user of the app, as OTP verification would create one. */
  static UUID user(TestGateway gateway, String appId, String email) {
    UUID id = UUID.randomUUID();
    update(gateway, "INSERT INTO users (id, app_id, email) VALUES (?, ?, ?)", id, UUID.fromString(appId), email);
    return id;
  }

  /** Logs the user in as OTP verification does: TOKEN_ISSUE over the event bus. */
  static JsonObject login(TestGateway gateway, String appId, UUID userId) {
    try {
      return issue(gateway, appId, userId).await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("TOKEN_ISSUE failed", e);
    }
  }

  /** The failure a login that must fail replies with. */
  static ReplyException loginFailure(TestGateway gateway, String appId, UUID userId) {
    try {
      issue(gateway, appId, userId).await(10, TimeUnit.SECONDS);
    } catch (ReplyException expected) {
      return expected;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    throw new AssertionError("the login succeeded");
  }

  private static Future<JsonObject> issue(TestGateway gateway, String appId, UUID userId) {
    Issue request = Issue.login(UUID.fromString(appId), userId, false, "test-" + UUID.randomUUID(), "203.0.113.7");
    return gateway.vertx().eventBus().<Grant>request(Bus.TOKEN_ISSUE.name(), request).map(reply -> reply.body().toJson());
  }

  static ApiResponse refresh(Http http, JsonObject app, String refreshToken) {
    return http.post("/auth/refresh", credentials(app).put("refresh_token", refreshToken));
  }

  static ApiResponse logout(Http http, JsonObject app, String refreshToken, boolean everywhere) {
    return http.post("/auth/logout", credentials(app).put("refresh_token", refreshToken).put("everywhere", everywhere));
  }

  static ApiResponse me(Http http, String accessToken) {
    return http.get("/auth/me", Http.bearer(accessToken));
  }

  static JsonObject credentials(JsonObject app) {
    return new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"));
  }

  static JsonObject header(String jwt) {
    return segment(jwt, 0);
  }

  static JsonObject claims(String jwt) {
    return segment(jwt, 1);
  }

  static void update(TestGateway gateway, String sql, Object... args) {
    try (Connection connection = gateway.jdbc(); PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonObject segment(String jwt, int index) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[index]), StandardCharsets.UTF_8));
  }
}
