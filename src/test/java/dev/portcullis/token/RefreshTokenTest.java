package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Secrets;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Refresh token rotation")
class RefreshTokenTest {

  private static final int RACERS = 16;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static JsonObject app;
  private static JsonObject noGraceApp;
  private static JsonObject otherApp;

  @BeforeAll
  static void start() {
    app = gateway.createApp("refresh-app");
    noGraceApp = gateway.createApp(new JsonObject().put("name", "No grace").put("slug", "refresh-no-grace")
        .put("settings", new JsonObject().put("refresh_reuse_grace_seconds", 0)));
    otherApp = gateway.createApp("refresh-other");
  }

  @Test
  @DisplayName("answers a new refresh token and a new access token, and spends the presented token")
  void rotates() throws Exception {
    JsonObject login = login(app);
    String first = login.getString("refresh_token");
    ApiResponse refreshed = refresh(app, first);
    assertEquals(200, refreshed.status(), refreshed.body());
    JsonObject tokens = refreshed.json();
    assertEquals("Bearer", tokens.getString("token_type"));
    assertNotEquals(first, tokens.getString("refresh_token"));
    assertTrue(tokens.getInteger("refresh_expires_in") <= login.getInteger("refresh_expires_in"), "absolute expiry");
    assertEquals(login.getJsonObject("user"), tokens.getJsonObject("user"));
    assertEquals(sid(login), sid(tokens));
    assertEquals(200, TokenFixture.me(gateway.http(), tokens.getString("access_token")).status());
    try (Connection connection = gateway.jdbc(); PreparedStatement query = connection.prepareStatement(
        "SELECT spent_at, successor_hash FROM refresh_tokens WHERE token_hash = ?")) {
      query.setBytes(1, Secrets.sha256(first));
      try (ResultSet row = query.executeQuery()) {
        assertTrue(row.next());
        assertNotNull(row.getTimestamp("spent_at"));
        assertArrayEquals(Secrets.sha256(tokens.getString("refresh_token")), row.getBytes("successor_hash"));
      }
    }
  }

  @Test
  @DisplayName("answers the same successor and a fresh access token to the spent token within the grace window")
  void graceReplay() {
    String first = login(app).getString("refresh_token");
    JsonObject once = refresh(app, first).json();
    ApiResponse again = refresh(app, first);
    assertEquals(200, again.status(), again.body());
    assertEquals(once.getString("refresh_token"), again.json().getString("refresh_token"));
    assertNotEquals(once.getString("access_token"), again.json().getString("access_token"));
    assertEquals(200, TokenFixture.me(gateway.http(), again.json().getString("access_token")).status());
    assertEquals(200, refresh(app, once.getString("refresh_token")).status(), "the successor still works");
  }

  @Test
  @DisplayName("a grace set to 0 applies at once: the spent token presented right after the PATCH is reuse")
  void graceChangeAppliesAtOnce() {
    JsonObject changing = gateway.createApp("refresh-grace-change");
    String first = login(changing).getString("refresh_token");
    for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
      // a rotation, then replays within the grace, round robin across the token service's instances: each caches
      // the app's settings
      assertEquals(200, refresh(changing, first).status());
    }
    ApiResponse patched = gateway.http().send("PATCH", "/v1/apps/" + changing.getString("app_id"),
        new JsonObject().put("settings", new JsonObject().put("refresh_reuse_grace_seconds", 0)).encode(),
        "Content-Type", "application/json", "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
    assertEquals(200, patched.status(), patched.body());

    ApiResponse again = refresh(changing, first);

    assertEquals(401, again.status(), again.body());
    assertEquals("refresh_token_reused", again.error());
  }

  @Test
  @DisplayName("after the grace window, the spent token is refresh_token_reused and the whole session is revoked")
  void reuseAfterWindowRevokesSession() {
    JsonObject login = login(app);
    String first = login.getString("refresh_token");
    JsonObject current = refresh(app, first).json();
    TokenFixture.update(gateway, "UPDATE refresh_tokens SET spent_at = now() - interval '11 seconds' WHERE token_hash = ?",
        Secrets.sha256(first));

    ApiResponse reused = refresh(app, first);
    assertEquals(401, reused.status());
    assertEquals("refresh_token_reused", reused.error());

    ApiResponse successor = refresh(app, current.getString("refresh_token"));
    assertEquals(401, successor.status());
    assertEquals("session_revoked", successor.error());
    for (String accessToken : List.of(login.getString("access_token"), current.getString("access_token"))) {
      ApiResponse me = TokenFixture.me(gateway.http(), accessToken);
      assertEquals(401, me.status());
      assertEquals("session_revoked", me.error());
    }
    assertEquals(1, count("SELECT count(*) FROM sessions WHERE id = ?::uuid AND revoked_at IS NOT NULL", sid(login)));
  }

  @Test
  @DisplayName("an older ancestor presented within the window is reuse too, and revokes the session")
  void olderAncestor() {
    String first = login(app).getString("refresh_token");
    String second = refresh(app, first).json().getString("refresh_token");
    String third = refresh(app, second).json().getString("refresh_token");
    ApiResponse ancestor = refresh(app, first);
    assertEquals(401, ancestor.status());
    assertEquals("refresh_token_reused", ancestor.error());
    assertEquals("session_revoked", refresh(app, third).error());
  }

  @Test
  @DisplayName("with grace 0, exactly one of 16 concurrent refreshes of one token succeeds")
  void raceWithoutGrace() {
    String first = login(noGraceApp).getString("refresh_token");
    List<ApiResponse> answers = race(noGraceApp, first);
    Map<Integer, Long> byStatus = answers.stream().collect(Collectors.groupingBy(ApiResponse::status, Collectors.counting()));
    assertEquals(Map.of(200, 1L, 401, (long) RACERS - 1), byStatus, answers.toString());
    answers.stream().filter(answer -> answer.status() == 401)
        .forEach(answer -> assertEquals("refresh_token_reused", answer.error()));
  }

  @Test
  @DisplayName("with grace 10, 16 concurrent refreshes of one token all answer the same successor")
  void raceWithinGrace() {
    JsonObject login = login(app);
    List<ApiResponse> answers = race(app, login.getString("refresh_token"));
    answers.forEach(answer -> assertEquals(200, answer.status(), answer.body()));
    List<String> successors = answers.stream().map(answer -> answer.json().getString("refresh_token")).distinct().toList();
    assertEquals(1, successors.size(), "one successor");
    assertEquals(1, count("SELECT count(*) FROM refresh_tokens WHERE session_id = ?::uuid AND spent_at IS NULL", sid(login)),
        "one live refresh token in the session");
    assertEquals(200, refresh(app, successors.get(0)).status());
  }

  @Test
  @DisplayName("a refresh token presented with another app's credentials is invalid_refresh_token and stays unspent")
  void anotherAppsToken() {
    String token = login(app).getString("refresh_token");
    ApiResponse foreign = refresh(otherApp, token);
    assertEquals(401, foreign.status());
    assertEquals("invalid_refresh_token", foreign.error());
    assertEquals(200, refresh(app, token).status());
  }

  @Test
  @DisplayName("an unknown or expired refresh token is invalid_refresh_token")
  void unknownOrExpired() {
    ApiResponse unknown = refresh(app, Secrets.randomToken(32));
    assertEquals(401, unknown.status());
    assertEquals("invalid_refresh_token", unknown.error());

    String token = login(app).getString("refresh_token");
    TokenFixture.update(gateway, "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = ?",
        Secrets.sha256(token));
    ApiResponse expired = refresh(app, token);
    assertEquals(401, expired.status());
    assertEquals("invalid_refresh_token", expired.error());
  }

  @Test
  @DisplayName("a missing refresh_token is 400 invalid_request, a wrong secret 401 invalid_client")
  void badRequests() {
    ApiResponse missing = gateway.http().post("/auth/refresh", TokenFixture.credentials(app));
    assertEquals(400, missing.status());
    assertTrue(missing.json().getString("message").contains("refresh_token"));
    ApiResponse wrongSecret = gateway.http().post("/auth/refresh", TokenFixture.credentials(app)
        .put("app_secret", "pcs_wrong").put("refresh_token", "x"));
    assertEquals(401, wrongSecret.status());
    assertEquals("invalid_client", wrongSecret.error());
  }

  @Test
  @DisplayName("counts issued tokens, refreshes, reuse detections, revocations and signing time, and names the signer")
  void metrics() {
    String first = login(noGraceApp).getString("refresh_token");
    refresh(noGraceApp, first);
    refresh(noGraceApp, first);
    String metrics = gateway.management().get("/metrics").body();
    for (String name : List.of("portcullis_tokens_issued_total{grant=\"login\"}",
        "portcullis_tokens_issued_total{grant=\"refresh\"}", "portcullis_token_refreshes_total{outcome=\"rotated\"}",
        "portcullis_refresh_reuse_detected_total", "portcullis_sessions_revoked_total{reason=\"refresh_token_reused\"}",
        "portcullis_token_signing_seconds_count")) {
      assertTrue(metrics.contains(name), name);
    }
    String signer = Libcrypto.forProvider(GatewayConfig.SigningProvider.AUTO).isPresent() ? "openssl" : "jdk";
    assertTrue(metrics.contains("portcullis_token_signer{provider=\"" + signer + "\"} 1.0"), metrics);
  }

  /** Sends the same refresh RACERS times at once, over as many connections. */
  /**
   * A revocation that commits while the refresh waits for the session's row (a user with thousands of sessions
   * being disabled holds them for seconds): the refresh read the session live before the wait, and answered new
   * tokens of the revoked session (scale probe).
   */
  @Test
  @DisplayName("a refresh that waits on a revocation in progress answers session_revoked once it commits, not new tokens")
  void refreshBehindARevocation() throws Exception {
    JsonObject tokens = login(app);
    String sid = sid(tokens);
    try (Connection revoker = gateway.jdbc(); PreparedStatement revoke = revoker.prepareStatement(
        "UPDATE sessions SET revoked_at = now() WHERE id = ?::uuid")) {
      revoker.setAutoCommit(false);
      revoke.setString(1, sid);
      assertEquals(1, revoke.executeUpdate());
      CompletableFuture<ApiResponse> refreshed = gateway.http().postAsync("/auth/refresh",
          TokenFixture.credentials(app).put("refresh_token", tokens.getString("refresh_token")));
      dev.portcullis.testing.Await.until("the refresh to wait for the session's row", java.time.Duration.ofSeconds(10),
          () -> count("SELECT count(*) FROM pg_stat_activity WHERE "
              + "datname = current_database() AND wait_event_type = 'Lock' AND query LIKE ?",
              "%UPDATE sessions SET last_used_at%") > 0);
      revoker.commit();
      ApiResponse answer = refreshed.join();
      assertEquals(401, answer.status(), answer.body());
      assertEquals("session_revoked", answer.error());
    }
  }

  /** Its sessions are revoked with the disable; a session that revocation missed still must not be renewed. */
  @Test
  @DisplayName("a disabled user's session left unrevoked refreshes no more: session_revoked, also for the grace replay "
      + "of a token spent before the disable")
  void disabledUsersSessionRefreshesNoMore() {
    JsonObject tokens = login(app);
    String first = tokens.getString("refresh_token");
    String second = refresh(app, first).json().getString("refresh_token");
    disable(tokens);
    ApiResponse refreshed = refresh(app, second);
    assertEquals(401, refreshed.status(), refreshed.body());
    assertEquals("session_revoked", refreshed.error());
    ApiResponse replayed = refresh(app, first);
    assertEquals(401, replayed.status(), replayed.body());
    assertEquals("session_revoked", replayed.error());
    assertEquals(1L, count("SELECT count(*) FROM sessions WHERE id = ?::uuid AND revoked_at IS NULL", sid(tokens)));
  }

  @Test
  @DisplayName("/auth/me refuses the access token of a disabled user's session left unrevoked: session_revoked")
  void disabledUsersAccessTokenRefused() {
    JsonObject tokens = login(app);
    disable(tokens);
    ApiResponse me = TokenFixture.me(gateway.http(), tokens.getString("access_token"));
    assertEquals(401, me.status(), me.body());
    assertEquals("session_revoked", me.error());
  }

  /** Disables the user in SQL only, its sessions left as they are (as a revocation that never ran would). */
  private static void disable(JsonObject tokens) {
    TokenFixture.update(gateway, "UPDATE users SET disabled = true WHERE id = ?",
        UUID.fromString(tokens.getJsonObject("user").getString("id")));
  }

  private static List<ApiResponse> race(JsonObject client, String token) {
    JsonObject body = TokenFixture.credentials(client).put("refresh_token", token);
    List<CompletableFuture<ApiResponse>> calls = IntStream.range(0, RACERS)
        .mapToObj(i -> gateway.http().postAsync("/auth/refresh", body))
        .toList();
    return calls.stream().map(CompletableFuture::join).toList();
  }

  private static JsonObject login(JsonObject client) {
    String appId = client.getString("app_id");
    return TokenFixture.login(gateway, appId, TokenFixture.user(gateway, appId, UUID.randomUUID() + "@example.com"));
  }

  private static ApiResponse refresh(JsonObject client, String token) {
    return TokenFixture.refresh(gateway.http(), client, token);
  }

  private static String sid(JsonObject tokens) {
    return TokenFixture.claims(tokens.getString("access_token")).getString("sid");
  }

  private static long count(String sql, String arg) {
    try (Connection connection = gateway.jdbc(); PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, arg);
      try (ResultSet row = query.executeQuery()) {
        row.next();
        return row.getLong(1);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
