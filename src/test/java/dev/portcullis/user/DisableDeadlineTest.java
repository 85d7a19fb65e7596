package dev.portcullis.user;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A disable or a deletion whose transaction outlives the backend timeout: a 503 leaves nothing half done. */
@DisplayName("Disabling and deleting users past the backend timeout")
class DisableDeadlineTest {

  private static final int TIMEOUT_MS = 1_000;
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
