package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.TestBackends;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The migration that revokes sessions left live on devices that no longer hold a seat")
class EndedDeviceSessionsMigrationTest {

  private static final String APP = "00000000-0000-0000-0000-0000000000a1";
  private static final String USER = "00000000-0000-0000-0000-0000000000a2";
  private static final String POLICY = "00000000-0000-0000-0000-0000000000a3";

  @Test
  @DisplayName("sessions of deactivated devices and of suspended or handled expired licences are revoked, each with its event staged; others stay")
  void endedDevicesLoseTheirSessions() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    TestBackends.flyway(database, "108").migrate();
    try (Connection db = TestBackends.connect(database); Statement sql = db.createStatement()) {
      sql.execute("INSERT INTO apps (id, name, slug, secret_hash, settings) VALUES ('" + APP + "', 'L', 'l', '\\x00', '{}')");
      sql.execute("INSERT INTO users (id, app_id, email) VALUES ('" + USER + "', '" + APP + "', 'ana@example.com')");
      sql.execute("INSERT INTO license_policies (id, app_id, name, max_devices, offline_ttl, max_activations_per_day) "
          + "VALUES ('" + POLICY + "', '" + APP + "', 'P', 5, 3600, 10)");
      license(sql, "c1", "active", "NULL", "NULL");
      license(sql, "c2", "suspended", "NULL", "NULL");
      license(sql, "c3", "active", "now() - interval '1 day'", "now() - interval '1 day'");
      license(sql, "c4", "active", "now() - interval '1 second'", "NULL");
      device(sql, "d1", "c1", "now()");
      device(sql, "d2", "c1", "NULL");
      device(sql, "d3", "c2", "NULL");
      device(sql, "d4", "c3", "NULL");
      device(sql, "d5", "c4", "NULL");
      session(sql, "e1", "d1", "NULL");
      session(sql, "e2", "d2", "NULL");
      session(sql, "e3", "d3", "NULL");
      session(sql, "e4", "d4", "NULL");
      session(sql, "e5", "d5", "NULL");
      session(sql, "e6", "d1", "now() - interval '1 hour'");
    }
    TestBackends.flyway(database, "latest").migrate();
    try (Connection db = TestBackends.connect(database); Statement sql = db.createStatement()) {
      assertEquals("e1 e3 e4 e6", ids(sql, "SELECT right(id::text, 2) FROM sessions WHERE revoked_at IS NOT NULL ORDER BY id"));
      assertEquals("e1:device_deactivated e3:license_suspended e4:license_expired", ids(sql,
          "SELECT right(event->'data'->>'session_id', 2) || ':' || (event->'data'->>'reason') FROM audit_outbox "
              + "WHERE event->>'type' = 'session.revoked' AND event->>'app_id' = '" + APP + "' "
              + "AND event->>'user_id' = '" + USER + "' ORDER BY event->'data'->>'session_id'"));
    }
  }

  private static void license(Statement sql, String suffix, String status, String expiresAt, String handledAt)
      throws Exception {
    sql.execute("INSERT INTO licenses (id, app_id, policy_id, key_hash, key_hint, status, expires_at, expiry_handled_at) "
        + "VALUES ('" + id(suffix) + "', '" + APP + "', '" + POLICY + "', '\\x" + suffix + "', 'h', '" + status + "', "
        + expiresAt + ", " + handledAt + ")");
  }

  private static void device(Statement sql, String suffix, String license, String deactivatedAt) throws Exception {
    sql.execute("INSERT INTO license_devices (id, license_id, app_id, fingerprint, deactivated_at) VALUES ('"
        + id(suffix) + "', '" + id(license) + "', '" + APP + "', 'fp-" + suffix + "', " + deactivatedAt + ")");
  }

  private static void session(Statement sql, String suffix, String device, String revokedAt) throws Exception {
    sql.execute("INSERT INTO sessions (id, app_id, user_id, expires_at, device_id, revoked_at) VALUES ('" + id(suffix)
        + "', '" + APP + "', '" + USER + "', now() + interval '1 hour', '" + id(device) + "', " + revokedAt + ")");
  }

  private static String id(String suffix) {
    return "00000000-0000-0000-0000-0000000000" + suffix;
  }

  private static String ids(Statement sql, String query) throws Exception {
    StringBuilder found = new StringBuilder();
    try (ResultSet rows = sql.executeQuery(query)) {
      while (rows.next()) {
        found.append(found.isEmpty() ? "" : " ").append(rows.getString(1));
      }
    }
    return found.toString();
  }
}
