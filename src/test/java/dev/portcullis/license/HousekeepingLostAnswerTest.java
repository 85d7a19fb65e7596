package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A housekeeping batch whose answer the gateway never gets: the test holds a row the batch's statement must
 * update, until the statement has waited longer than the job's bound (and the request bound, 1.5 s in tests), so
 * the gateway stops waiting; then lets it go, and the transaction commits behind the gateway's back. What the
 * batch marked handled is never selected again, so whatever must follow from it has to have committed with it.
 */
@DisplayName("License housekeeping whose answer is lost")
class HousekeepingLostAnswerTest {

  private static final int INTERVAL = 60;
  private static final long WAITED_MS = 3_000;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .config(LicenseSettings.JOB_INTERVAL_MS, 100)
      .config(LicenseSettings.JOB_TIMEOUT_MS, 500);

  private static TestGateway gateway;
  private static LicenseFixture licenses;

  @BeforeAll
  static void app() {
    licenses = new LicenseFixture(gateway, gateway.createApp("lost-answer-app"));
  }

  @Test
  @DisplayName("a device culled by a batch whose answer was lost still has its sessions revoked and audited")
  void culledDevice() throws Exception {
    JsonObject policy = licenses.policy(new JsonObject().put("name", "Heartbeat").put("max_devices", 1)
        .put("heartbeat_interval", INTERVAL));
    String deviceId = licenses.activated(licenses.license(policy).getString("key"), "fp-lost-cull");
    UUID session = licenses.boundSession(deviceId);

    heldThrough("UPDATE license_devices d SET deactivated_at", "SELECT 1 FROM license_devices WHERE id = ? FOR UPDATE",
        UUID.fromString(deviceId),
        () -> licenses.update("UPDATE license_devices SET last_heartbeat_at = now() - ? * interval '1 second' "
            + "WHERE id = ?", INTERVAL * 3, UUID.fromString(deviceId)));

    Await.until("the device is culled", Duration.ofSeconds(5),
        () -> licenses.count("SELECT count(*) FROM license_devices WHERE id = ? AND deactivated_at IS NOT NULL",
            UUID.fromString(deviceId)) == 1);
    assertRevokedAndAudited(session, "device_deactivated");
    Await.until("the cull is audited", Duration.ofSeconds(15), () -> licenses.count(
        "SELECT count(*) FROM audit_events WHERE type = ? AND data->>'device_id' = ? "
            + "AND (data->>'sessions_revoked')::int = 1", LicenseEvents.DEVICE_DEACTIVATED, deviceId) >= 1);
  }

  @Test
  @DisplayName("a license marked expired by a batch whose answer was lost still has its sessions revoked and audited")
  void expiredLicense() throws Exception {
    JsonObject license = licenses.license(licenses.policy(2));
    UUID licenseId = UUID.fromString(license.getString("license_id"));
    String deviceId = licenses.activated(license.getString("key"), "fp-lost-expiry");
    UUID session = licenses.boundSession(deviceId);

    heldThrough("UPDATE licenses l SET expiry_handled_at", "SELECT 1 FROM licenses WHERE id = ? FOR UPDATE", licenseId,
        () -> licenses.update("UPDATE licenses SET expires_at = now() - interval '1 second' WHERE id = ?", licenseId));

    Await.until("the expiry is handled", Duration.ofSeconds(5), () -> licenses.count(
        "SELECT count(*) FROM licenses WHERE id = ? AND expiry_handled_at IS NOT NULL", licenseId) == 1);
    assertRevokedAndAudited(session, "license_expired");
    Await.until("the expiry is audited", Duration.ofSeconds(15), () -> licenses.count(
        "SELECT count(*) FROM audit_events WHERE type = ? AND data->>'license_id' = ? "
            + "AND (data->>'sessions_revoked')::int = 1", LicenseEvents.EXPIRED, licenseId.toString()) >= 1);
  }

  private static void assertRevokedAndAudited(UUID session, String reason) {
    Await.until("the bound session is revoked", Duration.ofSeconds(5), () -> licenses.count(
        "SELECT count(*) FROM sessions WHERE id = ? AND revoked_at IS NOT NULL", session) == 1);
    Await.until("its revocation is audited", Duration.ofSeconds(15), () -> licenses.count(
        "SELECT count(*) FROM audit_events WHERE type = 'session.revoked' AND data->>'session_id' = ? "
            + "AND data->>'reason' = ?", session.toString(), reason) >= 1);
    assertEquals(1, licenses.count("SELECT count(*) FROM sessions WHERE id = ? AND revoked_at IS NOT NULL", session));
  }

  /**
   * Makes the change that a batch will handle while no round can run (the test holds the job's advisory lock), locks
   * the row the batch's statement updates, lets rounds run, and lets the row go only once that statement has waited
   * for it longer than any bound the gateway puts on it.
   */
  private static void heldThrough(String statement, String lockRow, UUID row, Runnable change) throws Exception {
    try (Connection holder = gateway.jdbc(); Statement plain = holder.createStatement()) {
      plain.execute("SELECT pg_advisory_lock(" + Housekeeping.LOCK + ")");
      change.run();
      holder.setAutoCommit(false);
      try (PreparedStatement lock = holder.prepareStatement(lockRow)) {
        lock.setObject(1, row);
        lock.executeQuery().close();
      }
      plain.execute("SELECT pg_advisory_unlock(" + Housekeeping.LOCK + ")");
      Await.until("the batch's statement waits past every bound", Duration.ofSeconds(15), () -> licenses.count(
          "SELECT count(*) FROM pg_stat_activity WHERE "
              + "datname = current_database() AND wait_event_type = 'Lock' AND query LIKE ? "
              + "AND now() - query_start > ? * interval '1 millisecond'", statement + "%", WAITED_MS) == 1);
      holder.commit();
    }
  }
}
