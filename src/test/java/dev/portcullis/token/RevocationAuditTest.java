package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A session revocation and its audit event commit together: with the audit outbox refusing rows (a trigger in
 * the test database), logout, reuse detection and the admin API's revocation fail and leave the session live;
 * once the outbox takes rows again each succeeds and its {@code session.revoked} event reaches the chain.
 */
@DisplayName("Session revocation: audit before acknowledgement")
@RunsAlone
class RevocationAuditTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);

  private static TestGateway gateway;
  private static JsonObject app;
  private static String appId;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start();
    app = gateway.createApp("revoke-audit");
    appId = app.getString("app_id");
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  @DisplayName("logout whose event cannot be stored answers 5xx and leaves the session live; then it works, audited")
  void logout() throws Exception {
    UUID user = TokenFixture.user(gateway, appId, "audit-logout@example.com");
    JsonObject tokens = TokenFixture.login(gateway, appId, user);
    String session = sessionOf(tokens);

    try (AutoCloseable refusing = refuseOutbox()) {
      ApiResponse logout = TokenFixture.logout(gateway.http(), app, tokens.getString("refresh_token"), false);
      assertTrue(logout.status() >= 500, logout.toString());
    }
    assertLive(tokens, session);

    ApiResponse logout = TokenFixture.logout(gateway.http(), app, tokens.getString("refresh_token"), false);
    assertEquals(200, logout.status(), logout.body());
    assertRevokedAndAudited(tokens, session, "logout");
  }

  @Test
  @DisplayName("admin revocation of a session whose event cannot be stored leaves it live; then it works, audited")
  void adminRevoke() throws Exception {
    UUID user = TokenFixture.user(gateway, appId, "audit-admin@example.com");
    JsonObject tokens = TokenFixture.login(gateway, appId, user);
    String session = sessionOf(tokens);
    String path = "/v1/apps/" + appId + "/sessions/" + session;

    try (AutoCloseable refusing = refuseOutbox()) {
      ApiResponse revoked = gateway.http().delete(path, ADMIN);
      assertTrue(revoked.status() >= 500, revoked.toString());
    }
    assertLive(tokens, session);

    ApiResponse revoked = gateway.http().delete(path, ADMIN);
    assertEquals(200, revoked.status(), revoked.body());
    assertRevokedAndAudited(tokens, session, null);
  }

  @Test
  @DisplayName("reuse detection whose events cannot be stored leaves the session live; then it revokes it, audited")
  void reuse() throws Exception {
    UUID user = TokenFixture.user(gateway, appId, "audit-reuse@example.com");
    JsonObject tokens = TokenFixture.login(gateway, appId, user);
    String session = sessionOf(tokens);
    String first = tokens.getString("refresh_token");
    JsonObject rotated = TokenFixture.refresh(gateway.http(), app, first).json();
    // outside the grace window, so presenting the first token again is reuse
    TokenFixture.update(gateway, "UPDATE refresh_tokens SET spent_at = now() - interval '1 hour' "
        + "WHERE session_id = ?::uuid AND spent_at IS NOT NULL", session);

    try (AutoCloseable refusing = refuseOutbox()) {
      ApiResponse replay = TokenFixture.refresh(gateway.http(), app, first);
      assertTrue(replay.status() >= 500, replay.toString());
    }
    assertLive(rotated, session);

    ApiResponse replay = TokenFixture.refresh(gateway.http(), app, first);
    assertEquals("refresh_token_reused", replay.error(), replay.body());
    assertRevokedAndAudited(rotated, session, "refresh_token_reused");
    Await.until("the reuse event in the chain", Duration.ofSeconds(10), () -> gateway.count(
        "SELECT count(*) FROM audit_events WHERE type = 'token.reuse_detected' AND data->>'session_id' = '"
            + session + "'") == 1);
  }

  @Test
  @DisplayName("with the audit log refusing events, a logout is acknowledged, its event kept and later in the chain")
  void auditLogDown() throws Exception {
    UUID user = TokenFixture.user(gateway, appId, "audit-down@example.com");
    JsonObject tokens = TokenFixture.login(gateway, appId, user);
    String session = sessionOf(tokens);

    try (AutoCloseable refusing = refuse("audit_events")) {
      ApiResponse logout = TokenFixture.logout(gateway.http(), app, tokens.getString("refresh_token"), false);
      assertEquals(200, logout.status(), "the revocation committed with its event: " + logout.body());
      assertEquals(1, gateway.count("SELECT count(*) FROM sessions WHERE id = '" + session + "' AND revoked_at IS NOT NULL"));
      assertEquals(1, gateway.count("SELECT count(*) FROM audit_outbox WHERE event->>'type' = 'session.revoked' "
          + "AND event->'data'->>'session_id' = '" + session + "'"), "the event is kept until the audit log takes it");
    }
    assertRevokedAndAudited(tokens, session, "logout");
  }

  @Test
  @DisplayName("a logout everywhere ending more sessions than one audit message carries records every event at once")
  void manySessions() {
    UUID user = TokenFixture.user(gateway, appId, "audit-many@example.com");
    JsonObject tokens = null;
    for (int i = 0; i < 101; i++) {
      tokens = TokenFixture.login(gateway, appId, user);
    }
    ApiResponse logout = TokenFixture.logout(gateway.http(), app, tokens.getString("refresh_token"), true);
    assertEquals(200, logout.status(), logout.body());
    // Before the outbox's own drain (rows older than two seconds): the request recorded them itself.
    Await.until("the outbox emptied by the request", Duration.ofMillis(1_500),
        () -> gateway.count("SELECT count(*) FROM audit_outbox") == 0);
    assertEquals(101, gateway.count("SELECT count(*) FROM audit_events WHERE type = 'session.revoked' "
        + "AND user_id = '" + user + "'"));
  }

  /**
   * A user with thousands of sessions, disabled: staging one event per session one statement at a time outlived
   * the request's timeout (503 while it committed later), and the markers, sent all at once, overran the Redis
   * client and failed their first write (scale probe).
   */
  @Test
  @DisplayName("disabling a user with 5,000 sessions answers 200, revokes and audits every one, and writes every "
      + "marker at the first attempt")
  void thousandsOfSessions() {
    UUID user = TokenFixture.user(gateway, appId, "audit-thousands@example.com");
    List<String> sessions = java.util.stream.IntStream.range(0, 5000).mapToObj(i -> UUID.randomUUID().toString())
        .toList();
    try (java.sql.Connection db = gateway.jdbc(); java.sql.PreparedStatement insert = db.prepareStatement(
        "INSERT INTO sessions (id, app_id, user_id, expires_at) SELECT s::uuid, ?::uuid, ?::uuid, "
            + "now() + interval '1 hour' FROM unnest(?::text[]) AS s")) {
      insert.setString(1, appId);
      insert.setString(2, user.toString());
      insert.setArray(3, db.createArrayOf("text", sessions.toArray()));
      assertEquals(5000, insert.executeUpdate());
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    double retriedBefore = markerRetries();
    ApiResponse disabled = gateway.http().patch("/v1/apps/" + appId + "/users/" + user,
        new JsonObject().put("disabled", true), dev.portcullis.testing.Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(200, disabled.status(), disabled.body());
    assertEquals(0, gateway.count("SELECT count(*) FROM sessions WHERE user_id = '" + user + "' AND revoked_at IS NULL"));
    long markers = 0;
    for (int from = 0; from < sessions.size(); from += 500) {
      Object[] keys = sessions.subList(from, from + 500).stream().map(id -> gateway.redisPrefix() + "revoked:" + id)
          .toArray();
      markers += gateway.redis(io.vertx.redis.client.Command.EXISTS, keys).toLong();
    }
    assertEquals(5000, markers, "revocation markers in Redis");
    assertEquals(retriedBefore, markerRetries(), "markers retried");
    Await.until("every session.revoked event in the chain", Duration.ofSeconds(60), () -> gateway.count(
        "SELECT count(*) FROM audit_events WHERE type = 'session.revoked' AND user_id = '" + user + "'") == 5000);
  }

  private static double markerRetries() {
    java.util.regex.Matcher retried = java.util.regex.Pattern
        .compile("(?m)^portcullis_revocation_marker_failures_total\\{[^}]*outcome=\"retried\"[^}]*\\} (\\S+)$")
        .matcher(gateway.management().get("/metrics").body());
    return retried.find() ? Double.parseDouble(retried.group(1)) : 0;
  }

  private static String sessionOf(JsonObject tokens) {
    return TokenFixture.claims(tokens.getString("access_token")).getString("sid");
  }

  private static void assertLive(JsonObject tokens, String session) {
    assertEquals(0, gateway.count("SELECT count(*) FROM sessions WHERE id = '" + session + "' AND revoked_at IS NOT NULL"),
        "a revocation whose event was not stored must not commit");
    assertEquals(0, gateway.count("SELECT count(*) FROM audit_outbox WHERE event->'data'->>'session_id' = '" + session + "'"));
    ApiResponse me = TokenFixture.me(gateway.http(), tokens.getString("access_token"));
    assertEquals(200, me.status(), me.body());
  }

  private static void assertRevokedAndAudited(JsonObject tokens, String session, String reason) {
    assertEquals(1, gateway.count("SELECT count(*) FROM sessions WHERE id = '" + session + "' AND revoked_at IS NOT NULL"));
    assertEquals("session_revoked", TokenFixture.me(gateway.http(), tokens.getString("access_token")).error());
    Await.until("the session.revoked event in the chain", Duration.ofSeconds(10), () -> gateway.count(
        "SELECT count(*) FROM audit_events WHERE type = 'session.revoked' AND data->>'session_id' = '" + session + "'"
            + (reason == null ? "" : " AND data->>'reason' = '" + reason + "'")) == 1);
    Await.until("the outbox emptied", Duration.ofSeconds(10),
        () -> gateway.count("SELECT count(*) FROM audit_outbox") == 0);
  }

  /** Makes every insert into the audit outbox fail until closed. */
  private static AutoCloseable refuseOutbox() throws Exception {
    return refuse("audit_outbox");
  }

  /** Makes every insert into the table fail until closed. */
  private static AutoCloseable refuse(String table) throws Exception {
    String name = "refuse_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    execute("CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS "
        + "$$ BEGIN RAISE EXCEPTION 'audit store refuses'; END $$");
    execute("CREATE TRIGGER " + name + " BEFORE INSERT ON " + table + " FOR EACH ROW EXECUTE FUNCTION " + name + "()");
    return () -> {
      execute("DROP TRIGGER " + name + " ON " + table);
      execute("DROP FUNCTION " + name + "()");
    };
  }

  /**
   * Runs the test's DDL, again when Postgres chose it as a deadlock's victim: a trigger made or dropped on the
   * partitioned audit table can deadlock with the gateway's own audit writer, which locks the partitions in
   * another order (a CI run failed the whole class on it).
   */
  private static void execute(String sql) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try (Connection connection = gateway.jdbc(); Statement statement = connection.createStatement()) {
        statement.execute(sql);
        return;
      } catch (java.sql.SQLException failure) {
        if (!"40P01".equals(failure.getSQLState()) || attempt == 5) {
          throw failure;
        }
      }
    }
  }
}
