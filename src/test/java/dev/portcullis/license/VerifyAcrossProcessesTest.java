package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code verify} answers from a cache of each gateway process; a change made through any process must show on
 * the next verify of every other one, and a change no gateway made within the cache's five seconds.
 */
@DisplayName("License verify across gateway processes")
class VerifyAcrossProcessesTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().sibling()
      .config(LicenseSettings.CALLS_PER_MINUTE_PER_KEY, 100_000).config(LicenseSettings.CALLS_PER_MINUTE_PER_IP, 100_000);

  /** Enough verifies to reach every event loop (each has its own cache) of the sibling. */
  private static final int WARM_CALLS = 12;

  private static TestGateway gateway;
  private static TestGateway sibling;
  private static LicenseFixture licenses;

  @BeforeAll
  static void app() {
    licenses = new LicenseFixture(gateway, gateway.createApp("verify-cache-app"));
  }

  @Test
  @DisplayName("a suspension, a reinstatement and a deactivation through one process show at once on the other")
  void changesShowAtOnce() {
    JsonObject license = licenses.license(licenses.policy(2));
    String key = license.getString("key");
    String licenseId = license.getString("license_id");
    String deviceId = licenses.activated(key, "fp-cached");
    assertEverySiblingVerify(key, "fp-cached", "VALID");

    assertEquals(200, licenses.admin("POST", "/licenses/" + licenseId + "/suspend", null).status());
    assertEverySiblingVerify(key, "fp-cached", "SUSPENDED");

    assertEquals(200, licenses.admin("POST", "/licenses/" + licenseId + "/reinstate", null).status());
    assertEverySiblingVerify(key, "fp-cached", "VALID");

    ApiResponse removed = licenses.admin("DELETE", "/licenses/" + licenseId + "/devices/" + deviceId, null);
    assertEquals(200, removed.status(), removed.body());
    assertEverySiblingVerify(key, "fp-cached", "DEVICE_NOT_ACTIVATED");

    licenses.activated(key, "fp-cached");
    assertEverySiblingVerify(key, "fp-cached", "VALID");
  }

  @Test
  @DisplayName("a device activated through one process verifies at once on the other, which had it as not activated")
  void activationShowsAtOnce() {
    String key = licenses.license(licenses.policy(1)).getString("key");
    assertEverySiblingVerify(key, "fp-new", "DEVICE_NOT_ACTIVATED");
    licenses.activated(key, "fp-new");
    assertEverySiblingVerify(key, "fp-new", "VALID");
  }

  @Test
  @DisplayName("a change written to Postgres behind every gateway's back shows within the cache's five seconds")
  void unannouncedChangeShowsWithinTheTtl() {
    JsonObject license = licenses.license(licenses.policy(1));
    String key = license.getString("key");
    licenses.activated(key, "fp-behind");
    assertEverySiblingVerify(key, "fp-behind", "VALID");
    licenses.update("UPDATE licenses SET status = 'suspended' WHERE id = ?",
        UUID.fromString(license.getString("license_id")));
    Await.until("every cached answer has expired", Duration.ofMillis(VerifyCache.TTL_MS + 3_000),
        () -> allSiblingVerifiesSay(key, "fp-behind", "SUSPENDED"));
  }

  private static void assertEverySiblingVerify(String key, String fingerprint, String code) {
    assertEquals(Collections.nCopies(WARM_CALLS, code), siblingCodes(key, fingerprint));
  }

  private static boolean allSiblingVerifiesSay(String key, String fingerprint, String code) {
    return siblingCodes(key, fingerprint).stream().allMatch(code::equals);
  }

  private static List<String> siblingCodes(String key, String fingerprint) {
    List<String> codes = new ArrayList<>();
    for (int i = 0; i < WARM_CALLS; i++) {
      codes.add(verify(sibling.http(), key, fingerprint).json().getString("code"));
    }
    return codes;
  }

  private static ApiResponse verify(Http http, String key, String fingerprint) {
    ApiResponse answer = licenses.device(http, "verify", key, new JsonObject().put("fingerprint", fingerprint));
    assertEquals(200, answer.status(), answer.body());
    return answer;
  }
}
