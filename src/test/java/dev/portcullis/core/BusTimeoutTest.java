package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.SlowTrigger;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Work handed to another verticle under a backend timeout above 2 s. The smallest setting that shows the bus's own
 * timeout: a transaction a little longer than its least send timeout (10 s) and well inside the backend timeout.
 */
@DisplayName("Requests across the event bus under a long backend timeout")
class BusTimeoutTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);
  private static final int TIMEOUT_MS = 12_000;
  /** Longer than the bus's least send timeout (10 s). */
  private static final long SLOW_MS = 10_200;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().config(GatewayConfig.BACKEND_TIMEOUT_MS, TIMEOUT_MS);

  private static TestGateway gateway;

  @Test
  @DisplayName("a session revocation whose transaction takes longer than 10 s but less than the backend timeout is "
      + "answered with its commit, not 503 while it commits behind the answer")
  void slowRevocationAnsweredWithItsOutcome() throws Exception {
    String app = gateway.createApp("bus-timeout").getString("app_id");
    ApiResponse created = gateway.http().post("/v1/apps/" + app + "/users",
        new JsonObject().put("email", "slow@example.com"), ADMIN);
    assertEquals(201, created.status(), created.body());
    String session = session(app, created.json().getString("id"));
    try (SlowTrigger slow = new SlowTrigger(gateway, "sessions",
        "BEFORE UPDATE ON sessions FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL)", SLOW_MS)) {
      ApiResponse revoked = gateway.http().delete("/v1/apps/" + app + "/sessions/" + session, ADMIN);
      assertEquals(200, revoked.status(), revoked.body());
      assertEquals(1, gateway.count("SELECT count(*) FROM sessions WHERE id = '" + session
          + "' AND revoked_at IS NOT NULL"));
    }
  }

  private static String session(String app, String user) throws Exception {
    try (Connection db = gateway.jdbc(); Statement insert = db.createStatement();
         ResultSet row = insert.executeQuery("INSERT INTO sessions (id, app_id, user_id, expires_at) VALUES "
             + "(gen_random_uuid(), '" + app + "', '" + user + "', now() + interval '1 hour') RETURNING id")) {
      row.next();
      return row.getString(1);
    }
  }
}
