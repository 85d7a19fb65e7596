package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.app.AppSettings;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Logout and revocation")
class LogoutTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().sibling();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static TestGateway sibling;
  private static JsonObject app;
  private static JsonObject otherApp;

  @BeforeAll
  static void start() {
    app = gateway.createApp("logout-app");
    otherApp = gateway.createApp("logout-other");
  }

  @Test
  @DisplayName("revokes the session: its access and refresh tokens stop working at once")
  void logoutRevokesSession() {
    JsonObject tokens = login(user(app));
    ApiResponse logout = TokenFixture.logout(gateway.http(), app, tokens.getString("refresh_token"), false);
    assertEquals(200, logout.status(), logout.body());
    assertEquals(new JsonObject().put("revoked", 1), logout.json());

    ApiResponse me = TokenFixture.me(gateway.http(), tokens.getString("access_token"));
    assertEquals(401, me.status());
    assertEquals("session_revoked", me.error());
    ApiResponse refresh = TokenFixture.refresh(gateway.http(), app, tokens.getString("refresh_token"));
    assertEquals(401, refresh.status());
    assertEquals("session_revoked", refresh.error());
    long ttl = gateway.redis(Command.TTL, gateway.redisPrefix() + "revoked:" + sid(tokens)).toLong();
    assertTrue(ttl >= AppSettings.MAX_ACCESS_TOKEN_TTL, "the marker outlives every access token: " + ttl);
  }

  @Test
  @DisplayName("with everywhere, revokes every session of the user in that app and no one else's")
  void everywhere() {
    UUID user = user(app);
    List<JsonObject> sessions = IntStream.range(0, 3).mapToObj(i -> login(user)).toList();
    JsonObject neighbour = login(user(app));

    ApiResponse logout = TokenFixture.logout(gateway.http(), app, sessions.get(0).getString("refresh_token"), true);
    assertEquals(200, logout.status(), logout.body());
    assertEquals(3, logout.json().getInteger("revoked"));
    for (JsonObject session : sessions) {
      assertEquals("session_revoked", TokenFixture.me(gateway.http(), session.getString("access_token")).error());
    }
    assertEquals(200, TokenFixture.me(gateway.http(), neighbour.getString("access_token")).status());
  }

  @Test
  @DisplayName("logging out a revoked session again answers revoked 0")
  void idempotent() {
    JsonObject tokens = login(user(app));
    TokenFixture.logout(gateway.http(), app, tokens.getString("refresh_token"), false);
    ApiResponse again = TokenFixture.logout(gateway.http(), app, tokens.getString("refresh_token"), false);
    assertEquals(200, again.status());
    assertEquals(0, again.json().getInteger("revoked"));
  }

  @Test
  @DisplayName("the token of a session already ended ends nothing else, with everywhere too: revoked 0")
  void endedSessionEndsNothing() {
    UUID user = user(app);
    JsonObject old = login(user);
    JsonObject current = login(user);
    assertEquals(1, TokenFixture.logout(gateway.http(), app, old.getString("refresh_token"), false).json()
        .getInteger("revoked"));
    ApiResponse again = TokenFixture.logout(gateway.http(), app, old.getString("refresh_token"), true);
    assertEquals(200, again.status(), again.body());
    assertEquals(0, again.json().getInteger("revoked"));
    assertEquals(200, TokenFixture.me(gateway.http(), current.getString("access_token")).status(),
        "the user's other session lives on");
  }

  @Test
  @DisplayName("an access token whose session has reached its end is 401 invalid_token, though its own exp is later")
  void endedSessionsTokens() throws Exception {
    JsonObject tokens = login(user(app));
    try (java.sql.Connection db = gateway.jdbc(); java.sql.Statement statement = db.createStatement()) {
      statement.executeUpdate("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = '"
          + sid(tokens) + "'");
    }
    ApiResponse me = TokenFixture.me(gateway.http(), tokens.getString("access_token"));
    assertEquals(401, me.status(), me.body());
    assertEquals("invalid_token", me.error());
  }

  @Test
  @DisplayName("a refresh token of another app, or an unknown one, cannot log out: 401 invalid_refresh_token")
  void foreignToken() {
    JsonObject tokens = login(user(app));
    ApiResponse foreign = TokenFixture.logout(gateway.http(), otherApp, tokens.getString("refresh_token"), true);
    assertEquals(401, foreign.status());
    assertEquals("invalid_refresh_token", foreign.error());
    assertEquals(401, TokenFixture.logout(gateway.http(), app, "no-such-token", false).status());
    assertEquals(200, TokenFixture.me(gateway.http(), tokens.getString("access_token")).status());
  }

  @Test
  @DisplayName("a revocation on one gateway process is seen by a second one on its very next call")
  void seenBySecondProcess() {
    JsonObject tokens = login(user(app));
    assertEquals(200, TokenFixture.me(sibling.http(), tokens.getString("access_token")).status());
    assertEquals(200, TokenFixture.logout(gateway.http(), app, tokens.getString("refresh_token"), false).status());
    assertEquals("session_revoked", TokenFixture.me(sibling.http(), tokens.getString("access_token")).error());
  }

  @Test
  @DisplayName("under concurrent /auth/me calls, each answer follows its own session's revocation")
  void concurrentChecksKeepTheirAnswers() {
    List<JsonObject> sessions = IntStream.range(0, 8).mapToObj(i -> login(user(app))).toList();
    for (int i = 0; i < sessions.size(); i += 2) {
      TokenFixture.logout(gateway.http(), app, sessions.get(i).getString("refresh_token"), false);
    }
    List<CompletableFuture<ApiResponse>> calls = IntStream.range(0, 160)
        .mapToObj(i -> gateway.http().sendAsync("GET", "/auth/me", null,
            Http.bearer(sessions.get(i % sessions.size()).getString("access_token"))))
        .toList();
    for (int i = 0; i < calls.size(); i++) {
      ApiResponse answer = calls.get(i).join();
      if (i % 2 == 0) {
        assertEquals("session_revoked", answer.error(), answer.body());
      } else {
        assertEquals(200, answer.status(), answer.body());
        assertEquals(sid(sessions.get(i % sessions.size())), answer.json().getJsonObject("session").getString("id"));
      }
    }
  }

  private static UUID user(JsonObject client) {
    return TokenFixture.user(gateway, client.getString("app_id"), UUID.randomUUID() + "@example.com");
  }

  private static JsonObject login(UUID user) {
    return TokenFixture.login(gateway, app.getString("app_id"), user);
  }

  private static String sid(JsonObject tokens) {
    return TokenFixture.claims(tokens.getString("access_token")).getString("sid");
  }
}
