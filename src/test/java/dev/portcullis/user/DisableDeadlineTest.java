package dev.portcullis.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.app.App;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.SlowTrigger;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A disable or a deletion whose transaction outlives the backend timeout: a 503 leaves nothing half done; and a user
 * with so many sessions that one transaction for them all would always outlive it.
 */
@DisplayName("Disabling and deleting users past the backend timeout, and users with many sessions")
class DisableDeadlineTest {

  private static final int TIMEOUT_MS = 1_000;
  /**
   * A user with many live sessions (probe h31: 100,000, one per login within the refresh token's lifetime): revoking
   * them all with a {@code session.revoked} each in the disable's (or deletion's) transaction outlived the backend
   * timeout every time, so the user could be neither disabled nor deleted. Here 30,000 sessions against a 1 s
   * timeout, which that transaction outlived too.
   */
  private static final int SESSIONS = 30_000;
  private static final String REVOKING = "BEFORE UPDATE ON sessions FOR EACH ROW "
      + "WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)";

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().config(SignIns.LIMITS)
      .config(GatewayConfig.BACKEND_TIMEOUT_MS, TIMEOUT_MS);

  // Set by env before any test of the class runs.
  private static WebhookReceiver inbox;
  private static TestGateway gateway;
  private static EndUsers shop;

  @BeforeAll
  static void start() {
    shop = EndUsers.newApp(gateway, inbox, "deadline-users");
  }

  /**
   * The disable committed on its own and its sessions were revoked in a later step: that step, past the deadline,
   * answered 503 and left the user disabled with every session working (probe).
   */
  @Test
  @DisplayName("a disable whose revocation of sessions outlives the deadline answers 503 and leaves the user enabled, "
      + "never disabled with live sessions; sent again, it disables and revokes")
  void slowRevocationRollsTheDisableBack() throws Exception {
    JsonObject tokens = shop.signIn(email());
    String userId = tokens.getJsonObject("user").getString("id");
    String path = shop.path("/users/" + userId);
    try (SlowTrigger slow = slow("sessions", REVOKING)) {
      ApiResponse answered = shop.http().patch(path, new JsonObject().put("disabled", true), EndUsers.ADMIN);
      assertEquals(503, answered.status(), answered.body());
      quiet();
    }
    assertEquals(0L, shop.sql("SELECT count(*) FROM users WHERE id = ?::uuid AND disabled", userId));
    assertEquals(200, shop.me(tokens.getString("access_token")).status());
    ApiResponse refreshed = shop.refresh(tokens.getString("refresh_token"), null);
    assertEquals(200, refreshed.status(), refreshed.body());
    ApiResponse again = shop.http().patch(path, new JsonObject().put("disabled", true), EndUsers.ADMIN);
    assertEquals(200, again.status(), again.body());
    assertEquals("session_revoked", shop.refresh(refreshed.json().getString("refresh_token"), null).error());
    assertEquals("session_revoked", shop.me(refreshed.json().getString("access_token")).error());
  }

  @Test
  @DisplayName("an owner's disable whose revocation outlives the deadline answers 503 and leaves the owner enabled, "
      + "its console session working")
  void slowRevocationRollsAnOwnersDisableBack() throws Exception {
    JsonObject tokens = SignIns.owner(gateway, inbox, email());
    String ownerId = tokens.getJsonObject("owner").getString("id");
    try (SlowTrigger slow = slow("sessions", REVOKING)) {
      ApiResponse answered = shop.http().patch("/v1/apps/" + App.CONSOLE_ID + "/users/" + ownerId,
          new JsonObject().put("disabled", true), EndUsers.ADMIN);
      assertEquals(503, answered.status(), answered.body());
      quiet();
    }
    assertEquals(0L, shop.sql("SELECT count(*) FROM users WHERE id = ?::uuid AND disabled", ownerId));
    assertEquals(200, shop.http().get("/v1/apps", Http.bearer(tokens.getString("access_token"))).status());
    ApiResponse refreshed = shop.http().post("/v1/owners/refresh",
        new JsonObject().put("refresh_token", tokens.getString("refresh_token")));
    assertEquals(200, refreshed.status(), refreshed.body());
  }

  @Test
  @DisplayName("a deletion that outlives the deadline answers 503 and changes nothing: the user and its sessions "
      + "are as they were")
  void slowDeletionChangesNothing() throws Exception {
    JsonObject tokens = shop.signIn(email());
    String userId = tokens.getJsonObject("user").getString("id");
    try (SlowTrigger slow = slow("users", "BEFORE DELETE ON users FOR EACH ROW")) {
      ApiResponse answered = shop.http().delete(shop.path("/users/" + userId), EndUsers.ADMIN);
      assertEquals(503, answered.status(), answered.body());
      quiet();
    }
    assertEquals(1L, shop.sql("SELECT count(*) FROM users WHERE id = ?::uuid", userId));
    assertEquals(0L, shop.sql("SELECT count(*) FROM sessions WHERE user_id = ?::uuid AND revoked_at IS NOT NULL",
        userId));
    ApiResponse refreshed = shop.refresh(tokens.getString("refresh_token"), null);
    assertEquals(200, refreshed.status(), refreshed.body());
  }

  @Test
  @DisplayName("a user with 30,000 sessions is disabled (200): every session revoked, its own refused, the "
      + "revocations audited; enabled again, none comes back")
  void disablesAUserWithManySessions() throws Exception {
    JsonObject tokens = shop.signIn(email());
    String userId = tokens.getJsonObject("user").getString("id");
    manySessions(userId);
    ApiResponse disabled = shop.http().patch(shop.path("/users/" + userId), new JsonObject().put("disabled", true),
        EndUsers.ADMIN);
    assertEquals(200, disabled.status(), disabled.body());
    assertEquals(true, disabled.json().getBoolean("disabled"));
    assertEquals(0L, liveSessions(userId));
    assertEquals("session_revoked", shop.me(tokens.getString("access_token")).error());
    assertEquals("session_revoked", shop.refresh(tokens.getString("refresh_token"), null).error());
    // Up to the bound (5,000) one session.revoked each, beyond it one per batch (5,000) with how many: SESSIONS + 1
    // sessions in all, in at most 5,000 + 5 + 1 events.
    assertEquals(SESSIONS + 1L, revokedInEvents(userId, "user_disabled"));
    assertTrue(revokedEvents(userId, "user_disabled") <= 5_006, "one event per session, past the bound");
    assertTrue(types(userId).contains(UserEvents.USER_DISABLED), types(userId).toString());

    ApiResponse enabled = shop.http().patch(shop.path("/users/" + userId), new JsonObject().put("disabled", false),
        EndUsers.ADMIN);
    assertEquals(200, enabled.status(), enabled.body());
    assertEquals("session_revoked", shop.refresh(tokens.getString("refresh_token"), null).error());
  }

  /** A disable whose revocations after the commit did not all happen: the enable revokes what is left first. */
  @Test
  @DisplayName("an enable revokes the sessions a disable left live, so that none of them works again")
  void enableRevokesWhatADisableLeft() {
    JsonObject tokens = shop.signIn(email());
    String userId = tokens.getJsonObject("user").getString("id");
    shop.sql("UPDATE users SET disabled = true WHERE id = ?::uuid", userId);
    assertEquals(1L, liveSessions(userId));

    ApiResponse enabled = shop.http().patch(shop.path("/users/" + userId), new JsonObject().put("disabled", false),
        EndUsers.ADMIN);
    assertEquals(200, enabled.status(), enabled.body());
    assertEquals(0L, liveSessions(userId));
    assertEquals("session_revoked", shop.refresh(tokens.getString("refresh_token"), null).error());
    assertEquals("session_revoked", shop.me(tokens.getString("access_token")).error());
    assertEquals(1L, revokedInEvents(userId, "user_disabled"));
  }

  @Test
  @DisplayName("a user with 30,000 sessions is deleted (200): no session left (nor refresh token, with them), its "
      + "own refused, the deletion and the revocations audited")
  void deletesAUserWithManySessions() throws Exception {
    JsonObject tokens = shop.signIn(email());
    String userId = tokens.getJsonObject("user").getString("id");
    manySessions(userId);
    ApiResponse deleted = shop.http().delete(shop.path("/users/" + userId), EndUsers.ADMIN);
    assertEquals(200, deleted.status(), deleted.body());
    assertEquals(0L, shop.sql("SELECT count(*) FROM users WHERE id = ?::uuid", userId));
    assertEquals(0L, shop.sql("SELECT count(*) FROM sessions WHERE user_id = ?::uuid", userId));
    // invalid_token for a session deleted in a batch before the deletion (no row, no marker); session_revoked else.
    assertEquals(401, shop.me(tokens.getString("access_token")).status());
    assertEquals(401, shop.refresh(tokens.getString("refresh_token"), null).status());
    assertEquals(SESSIONS + 1L, revokedInEvents(userId, "user_deleted"));
    assertTrue(revokedEvents(userId, "user_deleted") <= 5_006, "one event per session, past the bound");
    assertTrue(types(userId).contains(UserEvents.USER_DELETED), types(userId).toString());
  }

  @Test
  @DisplayName("a change Postgres rolls back as a deadlock's victim answers 503 with Retry-After, not 500 (h37: two "
      + "deletions of a user with many sessions deadlocked)")
  void deadlockVictimIsUnavailable() throws Exception {
    String userId = shop.signIn(email()).getJsonObject("user").getString("id");
    try (Connection db = gateway.jdbc(); java.sql.Statement ddl = db.createStatement()) {
      ddl.execute("CREATE FUNCTION test_deadlock() RETURNS trigger LANGUAGE plpgsql AS "
          + "$$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected'; END $$");
      ddl.execute("CREATE TRIGGER test_deadlock BEFORE UPDATE ON users FOR EACH ROW WHEN (NEW.id = '" + userId
          + "') EXECUTE FUNCTION test_deadlock()");
      try {
        ApiResponse answered = shop.http().patch(shop.path("/users/" + userId),
            new JsonObject().put("disabled", true), EndUsers.ADMIN);
        assertEquals(503, answered.status(), answered.body());
        assertEquals("unavailable", answered.error());
        assertTrue(Long.parseLong(answered.header("Retry-After")) >= 1, answered.toString());
      } finally {
        ddl.execute("DROP TRIGGER test_deadlock ON users");
        ddl.execute("DROP FUNCTION test_deadlock()");
      }
    }
  }

  /** {@link #SESSIONS} more live sessions of the user, each with a refresh token, as that many logins leave. */
  private static void manySessions(String userId) throws Exception {
    try (Connection db = gateway.jdbc();
         PreparedStatement insert = db.prepareStatement("WITH s AS (INSERT INTO sessions (id, app_id, user_id, "
             + "expires_at) SELECT gen_random_uuid(), ?::uuid, ?::uuid, now() + interval '30 days' "
             + "FROM generate_series(1, ?) RETURNING id, expires_at) "
             + "INSERT INTO refresh_tokens (token_hash, session_id, expires_at) "
             + "SELECT decode(md5(id::text), 'hex'), id, expires_at FROM s")) {
      insert.setString(1, shop.appId());
      insert.setString(2, userId);
      insert.setInt(3, SESSIONS);
      insert.executeUpdate();
    }
    assertEquals((long) SESSIONS + 1, liveSessions(userId));
  }

  private static long liveSessions(String userId) {
    return (Long) shop.sql("SELECT count(*) FROM sessions WHERE user_id = ?::uuid AND revoked_at IS NULL", userId);
  }

  /**
   * How many sessions the user's {@code session.revoked} events of this reason name: one each, or
   * {@code sessions_revoked} when an event stands for many. Committed with the revocations, an event is in the chain
   * or still staged in the outbox (one whose recording outlived the short timeout waits there for the audit
   * verticle): both are counted, once each.
   */
  private static long revokedInEvents(String userId, String reason) {
    return (Long) shop.sql("SELECT coalesce(sum(CASE WHEN data->>'session_id' IS NOT NULL THEN 1 "
        + "ELSE (data->>'sessions_revoked')::int END), 0) FROM " + events() + " WHERE type = 'session.revoked' "
        + "AND data->>'reason' = ?", userId, userId, reason);
  }

  /** How many {@code session.revoked} events of this reason the user has (see {@link #revokedInEvents}). */
  private static long revokedEvents(String userId, String reason) {
    return (Long) shop.sql("SELECT count(*) FROM " + events() + " WHERE type = 'session.revoked' "
        + "AND data->>'reason' = ?", userId, userId, reason);
  }

  private static List<String> types(String userId) {
    try (Connection db = gateway.jdbc();
         PreparedStatement query = db.prepareStatement("SELECT type FROM " + events())) {
      query.setString(1, userId);
      query.setString(2, userId);
      List<String> types = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          types.add(rows.getString(1));
        }
      }
      return types;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The user's events (its id twice as parameters), in the chain or staged, each once. */
  private static String events() {
    return "(SELECT DISTINCT ON (id) id, type, data FROM (SELECT id, type, data FROM audit_events "
        + "WHERE user_id = ?::uuid UNION ALL SELECT event_id, event->>'type', event->'data' FROM audit_outbox "
        + "WHERE event->>'user_id' = ?) e) e";
  }

  private static SlowTrigger slow(String table, String timing) throws SQLException {
    return new SlowTrigger(gateway, table, timing, TIMEOUT_MS * 3 / 2);
  }

  /** Waits for the gateway's transactions cut off by the deadline to be over (rolled back or committed). */
  private static void quiet() {
    Await.until("the gateway's transactions are over", Duration.ofSeconds(10),
        () -> gateway.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            + "AND pid <> pg_backend_pid() AND state <> 'idle' "
            + "AND (query ILIKE '%users%' OR query ILIKE '%sessions%')") == 0);
  }

  private static String email() {
    return "d-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
  }
}
