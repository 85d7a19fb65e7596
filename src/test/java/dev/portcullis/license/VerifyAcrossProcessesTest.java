package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.RedisSubscription;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
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
 * every other one as soon as Redis relays its announcement, even when that announcement was lost to a dropped
 * subscription, and a change no gateway made within the cache's five seconds.
 */
@DisplayName("License verify across gateway processes")
@RunsAlone
class VerifyAcrossProcessesTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().sibling()
      .config(LicenseSettings.CALLS_PER_MINUTE_PER_KEY, 100_000).config(LicenseSettings.CALLS_PER_MINUTE_PER_IP, 100_000);

  /** Enough verifies to reach every event loop (each has its own cache) of the sibling. */
  private static final int WARM_CALLS = 12;
  /** Well under the cache's five seconds: a change that shows only at the entries' expiry fails. */
  private static final Duration RELAYED = Duration.ofMillis(1_500);

  private static TestGateway gateway;
  private static TestGateway sibling;
  private static LicenseFixture licenses;

  @BeforeAll
  static void app() {
    licenses = new LicenseFixture(gateway, gateway.createApp("verify-cache-app"));
  }

  @Test
  @DisplayName("a suspension, a reinstatement and a deactivation through one process show on the other as relayed")
  void changesShowWhenRelayed() {
    JsonObject license = licenses.license(licenses.policy(2));
    String key = license.getString("key");
    String licenseId = license.getString("license_id");
    String deviceId = licenses.activated(key, "fp-cached");
    assertEverySiblingVerify(key, "fp-cached", "VALID");

    assertEquals(200, licenses.admin("POST", "/licenses/" + licenseId + "/suspend", null).status());
    awaitEverySiblingVerify(key, "fp-cached", "SUSPENDED");

    assertEquals(200, licenses.admin("POST", "/licenses/" + licenseId + "/reinstate", null).status());
    awaitEverySiblingVerify(key, "fp-cached", "VALID");

    ApiResponse removed = licenses.admin("DELETE", "/licenses/" + licenseId + "/devices/" + deviceId, null);
    assertEquals(200, removed.status(), removed.body());
    awaitEverySiblingVerify(key, "fp-cached", "DEVICE_NOT_ACTIVATED");

    licenses.activated(key, "fp-cached");
    awaitEverySiblingVerify(key, "fp-cached", "VALID");
  }

  @Test
  @DisplayName("a device activated through one process verifies on the other, which had it as not activated")
  void activationShows() {
    String key = licenses.license(licenses.policy(1)).getString("key");
    assertEverySiblingVerify(key, "fp-new", "DEVICE_NOT_ACTIVATED");
    licenses.activated(key, "fp-new");
    awaitEverySiblingVerify(key, "fp-new", "VALID");
  }

  @Test
  @DisplayName("a change announced while the subscriptions were dropped still shows, and the relay comes back")
  void changeWhileTheSubscriptionIsDown() {
    JsonObject license = validOnEverySiblingLoop("fp-dropped");
    String key = license.getString("key");
    String licenseId = license.getString("license_id");

    assertEquals(2, dropSubscriptions(), "both processes' license subscriptions were found and dropped");
    assertEquals(200, licenses.admin("POST", "/licenses/" + licenseId + "/suspend", null).status());
    awaitEverySiblingVerify(key, "fp-dropped", "SUSPENDED");

    Await.until("the sibling's relay is up again", Duration.ofSeconds(10), () -> sibling.management().get("/metrics")
        .body().contains("portcullis_license_generation_relay_up 1.0"));
    assertEquals(200, licenses.admin("POST", "/licenses/" + licenseId + "/reinstate", null).status());
    awaitEverySiblingVerify(key, "fp-dropped", "VALID");
  }

  @Test
  @DisplayName("a change written to Postgres behind every gateway's back shows within the cache's five seconds")
  void unannouncedChangeShowsWithinTheTtl() {
    JsonObject license = validOnEverySiblingLoop("fp-behind");
    String key = license.getString("key");
    licenses.update("UPDATE licenses SET status = 'suspended' WHERE id = ?",
        UUID.fromString(license.getString("license_id")));
    Await.until("every cached answer has expired", Duration.ofMillis(VerifyCache.TTL_MS + 3_000),
        () -> allSiblingVerifiesSay(key, "fp-behind", "SUSPENDED"));
  }

  /** A new one-seat license with the fingerprint activated, its VALID answer cached on every loop of the sibling. */
  private static JsonObject validOnEverySiblingLoop(String fingerprint) {
    JsonObject license = licenses.license(licenses.policy(1));
    licenses.activated(license.getString("key"), fingerprint);
    assertEverySiblingVerify(license.getString("key"), fingerprint, "VALID");
    return license;
  }

  /** Closes, as Redis would on a restart or a full output buffer, the connections subscribed to license changes. */
  private static int dropSubscriptions() {
    String name = RedisSubscription.clientName(LicenseGenerations.channel(gateway.redisPrefix()));
    int dropped = 0;
    for (String client : gateway.redis(Command.CLIENT, "LIST", "TYPE", "pubsub").toString().split("\n")) {
      if (client.contains(" name=" + name + " ")) {
        String id = client.substring(client.indexOf("id=") + 3, client.indexOf(' '));
        dropped += gateway.redis(Command.CLIENT, "KILL", "ID", id).toInteger();
      }
    }
    return dropped;
  }

  private static void awaitEverySiblingVerify(String key, String fingerprint, String code) {
    Await.until("every verify on the sibling says " + code, RELAYED, () -> allSiblingVerifiesSay(key, fingerprint, code));
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
