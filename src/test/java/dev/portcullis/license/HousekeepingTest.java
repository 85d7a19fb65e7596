package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The housekeeping job runs every 100 ms here. Time passing is simulated by moving a device's last heartbeat,
 * or a license's expiry, into the past in the database.
 */
@DisplayName("License housekeeping")
@RunsAlone
class HousekeepingTest {

  private static final int INTERVAL = 60;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().sibling().auditTap()
      .config(LicenseSettings.JOB_INTERVAL_MS, 100)
      .config(dev.portcullis.core.GatewayConfig.HOUSEKEEPING_BATCH_SIZE, 2);

  private static TestGateway gateway;
  private static TestGateway sibling;
  private static AuditTap audit;
  /** Set here, not by the extension: the tap of the second process. */
  private static AuditTap siblingAudit;
  private static LicenseFixture licenses;
  private static JsonObject heartbeatPolicy;

  @BeforeAll
  static void app() {
    siblingAudit = new AuditTap(sibling);
    licenses = new LicenseFixture(gateway, gateway.createApp("housekeeping-app"));
    heartbeatPolicy = licenses.policy(new JsonObject().put("name", "Heartbeat").put("max_devices", 1)
        .put("heartbeat_interval", INTERVAL));
  }

  @AfterAll
  static void stop() {
    siblingAudit.close();
  }

  @Test
  @DisplayName("a heartbeat answers when the next one is due")
  void heartbeatAnswersTheDeadline() {
    String key = licenses.license(heartbeatPolicy).getString("key");
    licenses.activated(key, "fp-beat");
    ApiResponse beat = licenses.device("heartbeat", key, "fp-beat");
    assertEquals(200, beat.status(), beat.body());
    long due = java.time.Instant.parse(beat.json().getString("next_heartbeat_before")).getEpochSecond();
    long expected = java.time.Instant.now().getEpochSecond() + INTERVAL;
    assertTrue(Math.abs(due - expected) <= 2, "due in one interval: " + beat.body());
    assertEquals(404, licenses.device("heartbeat", key, "fp-unknown").status());
  }

  @Test
  @DisplayName("a device silent for one interval verifies as HEARTBEAT_DEAD; after two it is culled and its seat freed")
  void silentDeviceIsCulled() {
    JsonObject license = licenses.license(heartbeatPolicy);
    String key = license.getString("key");
    String deviceId = licenses.activated(key, "fp-silent");
    assertEquals(403, licenses.device("activate", key, "fp-replacement").status(), "the one seat is taken");

    silence(deviceId, INTERVAL * 3 / 2);
    ApiResponse dead = licenses.device("verify", key, "fp-silent");
    assertEquals("HEARTBEAT_DEAD", dead.json().getString("code"), dead.body());
    assertEquals(false, dead.json().getBoolean("valid"));

    silence(deviceId, INTERVAL * 2 + 5);
    Await.until("the silent device is culled", Duration.ofSeconds(5),
        () -> licenses.liveDevices(license.getString("license_id")) == 0);
    assertEquals("DEVICE_NOT_ACTIVATED", licenses.device("verify", key, "fp-silent").json().getString("code"));
    licenses.activated(key, "fp-replacement");
    assertEquals("heartbeat_dead", deactivationReason(deviceId));
    Await.until("the cull is audited", Duration.ofSeconds(2), () -> culledEvents(deviceId) == 1);
    assertTrue(gateway.management().get("/metrics").body().contains("portcullis_license_heartbeats_missed_total"));
  }

  @Test
  @DisplayName("a checkout is the device's heartbeat: a HEARTBEAT_DEAD device that checks out a certificate verifies VALID")
  void checkoutIsAHeartbeat() {
    String key = licenses.license(heartbeatPolicy).getString("key");
    String deviceId = licenses.activated(key, "fp-offline-beat");
    silence(deviceId, INTERVAL * 3 / 2);
    assertEquals("HEARTBEAT_DEAD", licenses.device("verify", key, "fp-offline-beat").json().getString("code"));
    ApiResponse checkout = licenses.device("checkout", key, "fp-offline-beat");
    assertEquals(200, checkout.status(), checkout.body());
    ApiResponse verified = licenses.device("verify", key, "fp-offline-beat");
    assertEquals("VALID", verified.json().getString("code"), "online and offline agree: " + verified.body());
  }

  @Test
  @DisplayName("a repeat activation is a heartbeat too: it hands out a certificate, so the device verifies VALID after it")
  void repeatActivationIsAHeartbeat() {
    String key = licenses.license(heartbeatPolicy).getString("key");
    String deviceId = licenses.activated(key, "fp-again-beat");
    silence(deviceId, INTERVAL * 3 / 2);
    assertEquals("HEARTBEAT_DEAD", licenses.device("verify", key, "fp-again-beat").json().getString("code"));
    ApiResponse again = licenses.device("activate", key, "fp-again-beat");
    assertEquals(200, again.status(), again.body());
    assertEquals(deviceId, again.json().getString("device_id"));
    ApiResponse verified = licenses.device("verify", key, "fp-again-beat");
    assertEquals("VALID", verified.json().getString("code"), "online and offline agree: " + verified.body());
  }

  @Test
  @DisplayName("a device deactivated while it checks out gets no certificate: 404, as a device not activated")
  void checkoutOfADeviceDeactivatedMeanwhile() throws Exception {
    String key = licenses.license(heartbeatPolicy).getString("key");
    String deviceId = licenses.activated(key, "fp-leaving");
    ApiResponse answer = checkoutDuring("UPDATE license_devices SET deactivated_at = now(), "
        + "deactivation_reason = 'deactivated' WHERE id = ?", UUID.fromString(deviceId), key, "fp-leaving");
    assertEquals(404, answer.status(), answer.body());
  }

  @Test
  @DisplayName("a licence revoked while a device checks out gets no certificate: 403 license_revoked (h57: the "
      + "certificate was issued after the revocation committed)")
  void checkoutOfALicenseRevokedMeanwhile() throws Exception {
    JsonObject license = licenses.license(heartbeatPolicy);
    String key = license.getString("key");
    licenses.activated(key, "fp-revoked-meanwhile");
    // The revocation's transaction is under way when the checkout arrives, and commits while it waits.
    ApiResponse answer = checkoutDuring("UPDATE licenses SET status = 'revoked', updated_at = now() WHERE id = ?",
        UUID.fromString(license.getString("license_id")), key, "fp-revoked-meanwhile");
    assertEquals(403, answer.status(), answer.body());
    assertEquals("license_revoked", answer.error(), answer.body());
  }

  /** A checkout sent while {@code update} holds its row uncommitted; the update commits once the checkout waits. */
  private static ApiResponse checkoutDuring(String update, UUID id, String key, String fingerprint) throws Exception {
    try (java.sql.Connection change = gateway.jdbc()) {
      change.setAutoCommit(false);
      try (java.sql.PreparedStatement statement = change.prepareStatement(update)) {
        statement.setObject(1, id);
        assertEquals(1, statement.executeUpdate());
      }
      java.util.concurrent.CompletableFuture<ApiResponse> checkout = gateway.http().postAsync("/licenses/checkout",
          new JsonObject().put("app_id", licenses.appId()).put("key", key).put("fingerprint", fingerprint));
      Await.until("the checkout waiting for the changed row", Duration.ofSeconds(10), () -> checkout.isDone()
          || licenses.count("SELECT count(*) FROM pg_stat_activity WHERE "
              + "datname = current_database() AND wait_event_type = 'Lock' "
              + "AND query LIKE '%UPDATE license_devices d SET last_heartbeat_at%'") == 1);
      change.commit();
      return checkout.get(10, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a policy that starts asking for heartbeats gives its devices the new interval from then: none is "
      + "dead or culled at once (h57: every device of the policy culled at the next round)")
  void heartbeatsTurnedOnCountFromThen() {
    JsonObject quiet = licenses.policy(new JsonObject().put("name", "Quiet").put("max_devices", 1));
    JsonObject license = licenses.license(quiet);
    String key = license.getString("key");
    String deviceId = licenses.activated(key, "fp-long-quiet");
    silence(deviceId, INTERVAL * 5);

    ApiResponse changed = licenses.admin("PATCH", "/license-policies/" + quiet.getString("policy_id"),
        new JsonObject().put("heartbeat_interval", INTERVAL));
    assertEquals(200, changed.status(), changed.body());
    long rounds = System.nanoTime() + 500_000_000L;
    Await.until("half a second of the job's rounds", Duration.ofSeconds(2), () -> System.nanoTime() > rounds);
    assertEquals(1, licenses.liveDevices(license.getString("license_id")), "not culled");
    ApiResponse verified = licenses.device("verify", key, "fp-long-quiet");
    assertEquals("VALID", verified.json().getString("code"));
    long due = java.time.Instant.parse(verified.json().getJsonObject("device").getString("next_heartbeat_before"))
        .getEpochSecond();
    assertTrue(Math.abs(due - (java.time.Instant.now().getEpochSecond() + INTERVAL)) <= 2,
        "the next heartbeat is due one interval after the PATCH, not long past (h59): " + verified.body());

    // Once the policy has asked for two intervals, its silent device is culled as any other.
    licenses.update("UPDATE license_policies SET heartbeat_since = now() - ? * interval '1 second' WHERE id = ?",
        INTERVAL * 2 + 5, UUID.fromString(quiet.getString("policy_id")));
    Await.until("the silent device is culled", Duration.ofSeconds(5),
        () -> licenses.liveDevices(license.getString("license_id")) == 0);
    assertEquals("heartbeat_dead", deactivationReason(deviceId));
  }

  @Test
  @DisplayName("only one gateway process culls a device: it is audited once across two processes")
  void onePodAtATime() {
    String key = licenses.license(heartbeatPolicy).getString("key");
    String deviceId = licenses.activated(key, "fp-once");
    silence(deviceId, INTERVAL * 3);
    Await.until("the device is culled and audited", Duration.ofSeconds(5), () -> culledEvents(deviceId) >= 1);
    // a few more rounds of both processes
    long rounds = System.nanoTime() + 500_000_000L;
    Await.until("half a second of rounds", Duration.ofSeconds(2), () -> System.nanoTime() > rounds);
    assertEquals(1, culledEvents(deviceId));
  }

  @Test
  @DisplayName("an expired license has its bound sessions revoked by the job")
  void expiryRevokesSessions() {
    JsonObject license = licenses.license(licenses.policy(2));
    String deviceId = licenses.activated(license.getString("key"), "fp-expiring");
    UUID session = licenses.boundSession(deviceId);
    licenses.update("UPDATE licenses SET expires_at = now() - interval '1 second' WHERE id = ?",
        UUID.fromString(license.getString("license_id")));
    Await.until("the bound session is revoked", Duration.ofSeconds(5), () -> licenses.count(
        "SELECT count(*) FROM sessions WHERE id = ? AND revoked_at IS NOT NULL", session) == 1);
    // Written once the revocation has committed, so a moment after the row says so.
    String marker = gateway.redisPrefix() + "revoked:" + session;
    Await.until("the Redis marker", Duration.ofSeconds(5),
        () -> gateway.redis(io.vertx.redis.client.Command.EXISTS, marker).toInteger() == 1);
  }

  @Test
  @DisplayName("a revoked licence that reaches its expiry gets no license.expired event: revocation is final (h73)")
  void revokedLicenseIsNotExpiredAgain() {
    JsonObject revoked = licenses.license(licenses.policy(2));
    UUID revokedId = UUID.fromString(revoked.getString("license_id"));
    ApiResponse revocation = licenses.admin("POST", "/licenses/" + revokedId + "/revoke", new JsonObject());
    assertEquals(200, revocation.status(), revocation.body());
    JsonObject control = licenses.license(licenses.policy(2));
    UUID controlId = UUID.fromString(control.getString("license_id"));
    licenses.update("UPDATE licenses SET expires_at = now() - interval '1 second' WHERE id IN (?, ?)",
        revokedId, controlId);
    Await.until("the control licence's expiry audited", Duration.ofSeconds(15), () -> expiredEvents(controlId) == 1);
    assertEquals(0, expiredEvents(revokedId));
  }

  private static long expiredEvents(UUID licenseId) {
    return licenses.count("SELECT count(*) FROM audit_events WHERE type = ? AND data->>'license_id' = ?",
        LicenseEvents.EXPIRED, licenseId.toString());
  }

  @Test
  @DisplayName("more silent devices than a batch takes (2 here) are all culled, each with its session revoked and audited")
  void cullsInBatches() {
    JsonObject license = licenses.license(licenses.policy(new JsonObject().put("name", "Fleet").put("max_devices", 5)
        .put("heartbeat_interval", INTERVAL)));
    String key = license.getString("key");
    java.util.List<String> devices = new java.util.ArrayList<>();
    java.util.List<UUID> sessions = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      devices.add(licenses.activated(key, "fp-fleet-" + i));
      sessions.add(licenses.boundSession(devices.get(i)));
    }
    // one statement, so the five fall silent for the same round
    licenses.update("UPDATE license_devices SET last_heartbeat_at = now() - ? * interval '1 second' "
        + "WHERE license_id = ?", INTERVAL * 3, UUID.fromString(license.getString("license_id")));
    Await.until("the fleet is culled", Duration.ofSeconds(5),
        () -> licenses.liveDevices(license.getString("license_id")) == 0);
    for (int i = 0; i < 5; i++) {
      UUID session = sessions.get(i);
      String deviceId = devices.get(i);
      Await.until("session " + i + " revoked", Duration.ofSeconds(5), () -> licenses.count(
          "SELECT count(*) FROM sessions WHERE id = ? AND revoked_at IS NOT NULL", session) == 1);
      Await.until("device " + i + " audited", Duration.ofSeconds(5), () -> culledEvents(deviceId) == 1);
    }
  }

  @Test
  @DisplayName("the licences of an app being deleted are left to its purge: neither culled nor expired, no event")
  void deletedAppLeftToThePurge() {
    LicenseFixture deleted = new LicenseFixture(gateway, gateway.createApp("housekeeping-deleted"));
    JsonObject license = deleted.license(deleted.policy(new JsonObject().put("name", "Heartbeat").put("max_devices", 1)
        .put("heartbeat_interval", INTERVAL)));
    String deviceId = deleted.activated(license.getString("key"), "fp-deleted-app");
    JsonObject control = licenses.license(heartbeatPolicy);
    String controlDevice = licenses.activated(control.getString("key"), "fp-control");
    deleted.update("UPDATE apps SET deleted_at = now() WHERE id = ?", UUID.fromString(deleted.appId()));
    deleted.update("UPDATE licenses SET expires_at = now() - interval '1 second' WHERE id = ?",
        UUID.fromString(license.getString("license_id")));
    silence(deviceId, INTERVAL * 3);
    silence(controlDevice, INTERVAL * 3);
    Await.until("the live app's silent device culled", Duration.ofSeconds(5), () -> culledEvents(controlDevice) == 1);
    assertEquals(1, deleted.liveDevices(license.getString("license_id")));
    assertEquals(0, deleted.count("SELECT count(*) FROM licenses WHERE id = ? AND expiry_handled_at IS NOT NULL",
        UUID.fromString(license.getString("license_id"))));
    assertEquals(0, culledEvents(deviceId));
  }

  private static void silence(String deviceId, int seconds) {
    licenses.update("UPDATE license_devices SET last_heartbeat_at = now() - ? * interval '1 second' WHERE id = ?",
        seconds, UUID.fromString(deviceId));
  }

  private static String deactivationReason(String deviceId) {
    try (var connection = gateway.jdbc(); var statement = connection.prepareStatement(
        "SELECT deactivation_reason FROM license_devices WHERE id = ?")) {
      statement.setObject(1, UUID.fromString(deviceId));
      try (var rows = statement.executeQuery()) {
        rows.next();
        return rows.getString(1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long culledEvents(String deviceId) {
    return java.util.stream.Stream.concat(audit.events(LicenseEvents.DEVICE_DEACTIVATED).stream(),
            siblingAudit.events(LicenseEvents.DEVICE_DEACTIVATED).stream())
        .filter(event -> deviceId.equals(event.getJsonObject("data").getString("device_id")))
        .count();
  }
}
