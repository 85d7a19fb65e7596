package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.AuditCut;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A license change and its audit event commit together: with the audit log cut off after the change committed
 * ({@link AuditCut}), the change is still acknowledged, because its event is stored with it, and the event reaches
 * the chain once the audit log is back. Recorded after the commit instead, the event was lost and the client got
 * 503 for a change that stayed in force (a retry found nothing to do, and recorded nothing).
 */
@DisplayName("Licenses: audit before acknowledgement")
class LicenseAuditTest {

  private static final Duration DRAINED = Duration.ofSeconds(20);

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static LicenseFixture app;

  @BeforeAll
  static void app() {
    app = new LicenseFixture(gateway, gateway.createApp("license-audit"));
  }

  @Test
  @DisplayName("a suspension whose audit append is cut off is acknowledged, and its event reaches the chain")
  void suspension() throws Exception {
    String licenseId = app.license(app.policy(2)).getString("license_id");
    ApiResponse suspended;
    try (AuditCut cut = AuditCut.of(gateway, app.appId())) {
      suspended = cut.during(() -> gateway.http().sendAsync("POST",
          "/v1/apps/" + app.appId() + "/licenses/" + licenseId + "/suspend", null,
          "Authorization", "Bearer " + TestGateway.ADMIN_KEY));
    }
    assertEquals(200, suspended.status(), suspended.body());
    assertEquals("suspended", suspended.json().getString("status"));
    Await.until("license.suspended in the chain", DRAINED, () -> app.count("SELECT count(*) FROM audit_events "
        + "WHERE type = 'license.suspended' AND data->>'license_id' = ? AND data->>'from' = 'active' "
        + "AND data->>'sessions_revoked' = '0'", licenseId) == 1);
  }

  @Test
  @DisplayName("a device activation whose audit append is cut off is acknowledged, and its event reaches the chain")
  void activation() throws Exception {
    JsonObject license = app.license(app.policy(2));
    ApiResponse activated;
    try (AuditCut cut = AuditCut.of(gateway, app.appId())) {
      activated = cut.during(() -> app.activateAsync(gateway.http(), license.getString("key"), "audit-cut-device"));
    }
    assertEquals(201, activated.status(), activated.body());
    String deviceId = activated.json().getString("device_id");
    Await.until("license.device_activated in the chain", DRAINED, () -> app.count("SELECT count(*) FROM audit_events "
        + "WHERE type = 'license.device_activated' AND data->>'device_id' = ? AND data->>'license_id' = ?",
        deviceId, license.getString("license_id")) == 1);
  }
}
