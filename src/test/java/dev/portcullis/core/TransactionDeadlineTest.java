package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.SlowTrigger;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A transaction that outlives its request's deadline, made slow by a trigger of the test's own. */
@DisplayName("Transactions past the backend timeout")
class TransactionDeadlineTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);
  private static final int TIMEOUT_MS = 1_000;
  /** One and a half backend timeouts. */

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().config(GatewayConfig.BACKEND_TIMEOUT_MS, TIMEOUT_MS)
      .config(GatewayConfig.HOUSEKEEPING_INTERVAL_MS, 200);

  private static TestGateway gateway;

  /**
   * The deadline stopped the wait, not the transaction: a disable answered 503 committed a moment later, without the
   * revocation of sessions that follows a commit, so the disabled user's sessions lived on (probe h96).
   */
  @Test
  @DisplayName("a change answered 503 because its transaction outlived the deadline is rolled back, not committed "
      + "after the answer")
  void answered503NeverCommits() throws Exception {
    String app = gateway.createApp("deadline").getString("app_id");
    ApiResponse created = gateway.http().post("/v1/apps/" + app + "/users",
        new JsonObject().put("email", "late@example.com"), ADMIN);
    assertEquals(201, created.status(), created.body());
    String user = created.json().getString("id");
    try (SlowTrigger slow = slow("users", "BEFORE UPDATE ON users FOR EACH ROW WHEN (NEW.disabled)")) {
      ApiResponse answered = gateway.http().patch("/v1/apps/" + app + "/users/" + user,
          new JsonObject().put("disabled", true), ADMIN);
      assertEquals(503, answered.status(), answered.body());
      Await.until("the gateway's transactions are over", Duration.ofSeconds(10),
          () -> gateway.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
              + "AND pid <> pg_backend_pid() AND state <> 'idle' AND query ILIKE '%users%'") == 0);
      assertEquals(0, gateway.count("SELECT count(*) FROM users WHERE id = '" + user + "' AND disabled"),
          "answered 503, the user is not disabled");
      assertEquals(0, gateway.count("SELECT count(*) FROM audit_events WHERE type = 'user.disabled' "
          + "AND user_id = '" + user + "'"));
    }
  }

  /** The owner was inserted by a statement of its own and audited after it: a 503 hid the insert and lost its event. */
  @Test
  @DisplayName("an owner create answered 503 because its insert outlived the deadline leaves no owner and no event; "
      + "its retry creates the owner and audits owner.created")
  void ownerCreateAnswered503LeavesNothing() throws Exception {
    String email = "slow-owner1@example.com";
    try (SlowTrigger slow = slow("users", "BEFORE INSERT ON users FOR EACH ROW WHEN (NEW.email LIKE 'slow%')")) {
      ApiResponse answered = gateway.http().post("/v1/owners", new JsonObject().put("email", email), ADMIN);
      assertEquals(503, answered.status(), answered.body());
      Await.until("the gateway's transactions are over", Duration.ofSeconds(10),
          () -> gateway.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
              + "AND pid <> pg_backend_pid() AND state <> 'idle' AND query ILIKE '%users%'") == 0);
      assertEquals(0, gateway.count("SELECT count(*) FROM users WHERE email = '" + email + "'"),
          "answered 503, no owner");
    }
    ApiResponse retried = gateway.http().post("/v1/owners", new JsonObject().put("email", email), ADMIN);
    assertEquals(201, retried.status(), retried.body());
    String owner = retried.json().getJsonObject("owner").getString("id");
    Await.until("owner.created of the owner", Duration.ofSeconds(10),
        () -> gateway.count("SELECT count(*) FROM audit_events WHERE type = 'owner.created' "
            + "AND user_id = '" + owner + "'") == 1);
  }

  /** A job's batch has no caller to answer: one that outlives the bound still commits, or the job never progresses. */
  @Test
  @DisplayName("a housekeeping batch that outlives the backend timeout still commits: the job makes progress under a "
      + "slow Postgres (h97: rolled back on every run)")
  void slowJobBatchCommits() throws Exception {
    String app = gateway.createApp("deadline-job").getString("app_id");
    String user = gateway.http().post("/v1/apps/" + app + "/users", new JsonObject().put("email", "old@example.com"),
        ADMIN).json().getString("id");
    try (SlowTrigger slow = slow("sessions", "AFTER DELETE ON sessions FOR EACH STATEMENT");
         Connection db = gateway.jdbc(); Statement insert = db.createStatement()) {
      insert.executeUpdate("INSERT INTO sessions (id, app_id, user_id, expires_at) SELECT gen_random_uuid(), '" + app
          + "', '" + user + "', now() - interval '1 hour' FROM generate_series(1, 3)");
      Await.until("the expired sessions swept", Duration.ofSeconds(30),
          () -> gateway.count("SELECT count(*) FROM sessions WHERE user_id = '" + user + "'") == 0);
    }
  }

  /** A trigger of the test's own that sleeps one and a half backend timeouts; dropped when closed. */
  private static SlowTrigger slow(String table, String timing) throws java.sql.SQLException {
    return new SlowTrigger(gateway, table, timing, TIMEOUT_MS * 3 / 2);
  }
}
