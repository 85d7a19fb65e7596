package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.security.SecurityEvents;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Device activation")
class ActivationTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().sibling().auditTap()
      .config(LicenseSettings.CALLS_PER_MINUTE_PER_KEY, 40);

  private static TestGateway gateway;
  private static TestGateway sibling;
  private static AuditTap audit;
  private static LicenseFixture licenses;

  @BeforeAll
  static void app() {
    licenses = new LicenseFixture(gateway, gateway.createApp("activation-app"));
  }

  @Test
  @DisplayName("of 16 concurrent activations of a 3-seat license, exactly 3 get a seat and 13 are refused")
  void concurrentActivationsInOneProcess() {
    String key = licenses.license(licenses.policy(3)).getString("key");
    List<ApiResponse> answers = activateConcurrently(key, 16, List.of(gateway.http()));
    assertSeats(answers, 3);
  }

  @Test
  @DisplayName("of 16 concurrent activations through two gateway processes, exactly 3 get a seat")
  void concurrentActivationsAcrossProcesses() {
    JsonObject license = licenses.license(licenses.policy(3));
    List<ApiResponse> answers = activateConcurrently(license.getString("key"), 16,
        List.of(gateway.http(), sibling.http()));
    assertSeats(answers, 3);
    assertEquals(3, licenses.liveDevices(license.getString("license_id")), "devices stored");
  }

  @Test
  @DisplayName("a fingerprint's 255-character limit counts characters, not UTF-16 units: 255 emoji fit, 256 do not "
      + "(h73)")
  void fingerprintLengthInCharacters() {
    String key = licenses.license(licenses.policy(2)).getString("key");
    String emoji = "\uD83D\uDE00";
    ApiResponse longest = licenses.device("activate", key, emoji.repeat(255));
    assertEquals(201, longest.status(), longest.body());
    ApiResponse tooLong = licenses.device("activate", key, emoji.repeat(256));
    assertEquals(400, tooLong.status(), tooLong.body());
    assertTrue(tooLong.json().getString("message").startsWith("fingerprint"), tooLong.body());
  }

  @Test
  @DisplayName("activating the same fingerprint again answers 200 with the same device and takes no seat")
  void reactivationIsIdempotent() {
    JsonObject license = licenses.license(licenses.policy(1));
    String key = license.getString("key");
    ApiResponse first = licenses.device("activate", key, "fp-laptop");
    assertEquals(201, first.status(), first.body());
    ApiResponse again = licenses.device("activate", key, "fp-laptop");
    assertEquals(200, again.status(), again.body());
    assertEquals(first.json().getString("device_id"), again.json().getString("device_id"));
    assertEquals(1, licenses.liveDevices(license.getString("license_id")));
    String requestId = again.header("X-Request-Id");
    assertTrue(audit.of(LicenseEvents.CERTIFICATE_ISSUED, licenses.appId()).stream()
        .anyMatch(event -> requestId.equals(event.getString("request_id"))), "the new certificate is audited");
    ApiResponse other = licenses.device("activate", key, "fp-desktop");
    assertEquals(403, other.status());
    assertEquals("device_limit_reached", other.error());
  }

  @Test
  @DisplayName("a seat refusal is audited, counted and sent to the security webhook")
  void refusalIsReported() {
    JsonObject license = licenses.license(licenses.policy(1));
    licenses.activated(license.getString("key"), "fp-a");
    List<JsonObject> webhook = new java.util.concurrent.CopyOnWriteArrayList<>();
    var consumer = gateway.vertx().eventBus().<JsonObject>localConsumer(SecurityEvents.ADDRESS,
        message -> webhook.add(message.body()));
    try {
      assertEquals(403, licenses.device("activate", license.getString("key"), "fp-b").status());
      List<JsonObject> refused = audit.of(LicenseEvents.ACTIVATION_REFUSED, licenses.appId()).stream()
          .filter(event -> license.getString("license_id").equals(event.getJsonObject("data").getString("license_id")))
          .toList();
      assertEquals(1, refused.size(), "one audit event");
      assertEquals("device_limit_reached", refused.get(0).getJsonObject("data").getString("reason"));
      dev.portcullis.testing.Await.until("the security event", java.time.Duration.ofSeconds(10),
          () -> webhook.stream().anyMatch(event -> license.getString("license_id")
              .equals(event.getJsonObject("data").getString("license_id"))));
      assertEquals("license.device_limit_reached", webhook.get(webhook.size() - 1).getString("type"));
      String metrics = gateway.management().get("/metrics").body();
      assertTrue(metrics.contains("portcullis_license_refusals_total{reason=\"device_limit_reached\"}"), "refusal metric");
      assertTrue(metrics.contains("portcullis_license_activations_total"), "activation metric");
    } finally {
      consumer.unregister();
    }
  }

  @Test
  @DisplayName("five seat refusals of one license within a minute are each counted, but audited and reported once")
  void refusalsReportedOncePerMinute() {
    JsonObject license = licenses.license(licenses.policy(1));
    licenses.activated(license.getString("key"), "fp-held");
    JsonObject marker = licenses.license(licenses.policy(1));
    licenses.activated(marker.getString("key"), "fp-held");
    List<JsonObject> webhook = new java.util.concurrent.CopyOnWriteArrayList<>();
    var consumer = gateway.vertx().eventBus().<JsonObject>localConsumer(SecurityEvents.ADDRESS,
        message -> webhook.add(message.body()));
    try {
      double before = refusals();
      for (int i = 0; i < 5; i++) {
        ApiResponse refused = licenses.device("activate", license.getString("key"), "fp-other-" + i);
        assertEquals(403, refused.status(), refused.body());
        assertEquals("device_limit_reached", refused.error());
      }
      assertEquals(before + 5, refusals(), "every refusal counted");
      // Another license's refusal, raised after the five, marks when their events would have arrived.
      assertEquals(403, licenses.device("activate", marker.getString("key"), "fp-other").status());
      dev.portcullis.testing.Await.until("the marker's security event", java.time.Duration.ofSeconds(5),
          () -> !reports(webhook, marker).isEmpty());
      assertEquals(1, reports(webhook, license).size(), "one license.device_limit_reached");
      assertEquals(1, audit.of(LicenseEvents.ACTIVATION_REFUSED, licenses.appId()).stream()
          .filter(event -> license.getString("license_id").equals(event.getJsonObject("data").getString("license_id")))
          .count(), "one license.activation_refused");
    } finally {
      consumer.unregister();
    }
  }

  private static List<JsonObject> reports(List<JsonObject> webhook, JsonObject license) {
    return webhook.stream()
        .filter(event -> "license.device_limit_reached".equals(event.getString("type")))
        .filter(event -> license.getString("license_id").equals(event.getJsonObject("data").getString("license_id")))
        .toList();
  }

  private static double refusals() {
    String name = "portcullis_license_refusals_total{reason=\"device_limit_reached\"} ";
    return gateway.management().get("/metrics").body().lines()
        .filter(line -> line.startsWith(name))
        .mapToDouble(line -> Double.parseDouble(line.substring(name.length())))
        .findFirst()
        .orElse(0);
  }

  @Test
  @DisplayName("more than max_activations_per_day activations of one license in 24 hours answer 429 rate_limited")
  void dailyActivationCap() {
    JsonObject policy = licenses.policy(new JsonObject().put("name", "Capped").put("max_devices", 1)
        .put("max_activations_per_day", 3));
    String key = licenses.license(policy).getString("key");
    for (int i = 0; i < 3; i++) {
      licenses.activated(key, "loop-" + i);
      ApiResponse off = licenses.device("deactivate", key, "loop-" + i);
      assertEquals(200, off.status(), off.body());
    }
    ApiResponse fourth = licenses.device("activate", key, "loop-3");
    assertEquals(429, fourth.status(), fourth.body());
    assertEquals("rate_limited", fourth.error());
    assertNotNull(fourth.header("Retry-After"));
    long retryAfter = fourth.json().getLong("retry_after");
    assertTrue(retryAfter > 86_000 && retryAfter <= 86_400, "frees when the oldest activation leaves the window: " + retryAfter);
  }

  @Test
  @DisplayName("an unknown key, a key of another app and a malformed key all answer 401 invalid_license")
  void unknownKeys() {
    String key = licenses.license(licenses.policy(1)).getString("key");
    LicenseFixture other = new LicenseFixture(gateway, gateway.createApp("activation-other"));
    for (ApiResponse answer : List.of(
        licenses.device("verify", "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ", null),
        other.device("verify", key, null),
        licenses.device("verify", "not a key", null),
        licenses.device(gateway.http(), "verify", key, new JsonObject().put("app_id", UUID.randomUUID().toString())))) {
      assertEquals(401, answer.status(), answer.body());
      assertEquals("invalid_license", answer.error());
    }
  }

  @Test
  @DisplayName("a key is accepted in lower case and without hyphens, as Crockford base 32 allows")
  void keyNormalisation() {
    String key = licenses.license(licenses.policy(1)).getString("key");
    ApiResponse answer = licenses.device("verify", key.toLowerCase().replace("-", ""), null);
    assertEquals(200, answer.status(), answer.body());
    assertEquals("VALID", answer.json().getString("code"));
  }

  @Test
  @DisplayName("suspended, revoked and expired licenses refuse activation with their 403 code")
  void inactiveLicensesRefuse() {
    JsonObject policy = licenses.policy(5);
    JsonObject suspended = licenses.license(policy);
    licenses.admin("POST", "/licenses/" + suspended.getString("license_id") + "/suspend", null);
    JsonObject revoked = licenses.license(policy);
    licenses.admin("POST", "/licenses/" + revoked.getString("license_id") + "/revoke", null);
    JsonObject expired = licenses.license(policy);
    licenses.update("UPDATE licenses SET expires_at = now() - interval '1 minute' WHERE id = ?",
        UUID.fromString(expired.getString("license_id")));
    Map<String, JsonObject> cases = Map.of("license_suspended", suspended, "license_revoked", revoked,
        "license_expired", expired);
    cases.forEach((code, license) -> {
      ApiResponse answer = licenses.device("activate", license.getString("key"), "fp-x");
      assertEquals(403, answer.status(), code + ": " + answer.body());
      assertEquals(code, answer.error());
      ApiResponse verify = licenses.device("verify", license.getString("key"), null);
      assertEquals(200, verify.status());
      assertEquals(false, verify.json().getBoolean("valid"));
      assertEquals(code.substring("license_".length()).toUpperCase(), verify.json().getString("code"));
    });
  }

  @Test
  @DisplayName("verify says VALID for an active device and DEVICE_NOT_ACTIVATED for an unknown fingerprint")
  void verifyCodes() {
    String key = licenses.license(licenses.policy(2)).getString("key");
    String deviceId = licenses.activated(key, "fp-verify");
    ApiResponse valid = licenses.device("verify", key, "fp-verify");
    assertEquals(200, valid.status(), valid.body());
    assertEquals(true, valid.json().getBoolean("valid"));
    assertEquals("VALID", valid.json().getString("code"));
    assertEquals(deviceId, valid.json().getJsonObject("device").getString("device_id"));
    assertEquals(List.of("export", "sync"), valid.json().getJsonObject("license").getJsonArray("entitlements").getList());
    ApiResponse unknown = licenses.device("verify", key, "fp-elsewhere");
    assertEquals("DEVICE_NOT_ACTIVATED", unknown.json().getString("code"));
    assertEquals(false, unknown.json().getBoolean("valid"));
    assertNull(unknown.json().getValue("device"));
  }

  @Test
  @DisplayName("deactivating frees the seat for another device")
  void deactivationFreesTheSeat() {
    JsonObject license = licenses.license(licenses.policy(1));
    String key = license.getString("key");
    licenses.activated(key, "fp-old");
    assertEquals(403, licenses.device("activate", key, "fp-new").status());
    ApiResponse off = licenses.device("deactivate", key, "fp-old");
    assertEquals(200, off.status(), off.body());
    assertEquals(true, off.json().getBoolean("deactivated"));
    assertEquals(404, licenses.device("deactivate", key, "fp-old").status(), "already gone");
    licenses.activated(key, "fp-new");
  }

  @Test
  @DisplayName("calls with one key beyond its per-minute limit answer 429 rate_limited with Retry-After")
  void perKeyLimit() {
    String key = licenses.license(licenses.policy(1)).getString("key");
    ApiResponse last = null;
    for (int i = 0; i < 41; i++) {
      last = licenses.device("verify", key, null);
    }
    assertEquals(429, last.status(), last.body());
    assertEquals("rate_limited", last.error());
    assertNotNull(last.header("Retry-After"));
  }

  @Test
  @DisplayName("an unknown key goes through the same counting as a known one: beyond the per-key limit it is 429 too")
  void unknownKeysAreCounted() {
    String unknown = "00000-11111-22222-33333-44444";
    List<Integer> statuses = IntStream.range(0, 41)
        .mapToObj(i -> licenses.device("verify", unknown, null).status())
        .toList();
    assertEquals(40, statuses.stream().filter(status -> status == 401).count(), statuses.toString());
    assertEquals(429, statuses.get(40));
  }

  @Test
  @DisplayName("calls from an address over its per-minute limit are refused without counting their keys: random "
      + "keys leave Redis one counter each only up to the limit")
  void refusedAddressesCountNoKeys() {
    JsonObject backend = new JsonObject().put("client_ip", "198.51.100.77")
        .put("app_secret", licenses.app().getString("app_secret"));
    long before = keyCounters();
    int refused = 0;
    for (int i = 0; i < 700; i++) {
      String random = UUID.randomUUID().toString().replace("-", "").substring(0, 25);
      String key = String.join("-", random.substring(0, 5), random.substring(5, 10), random.substring(10, 15),
          random.substring(15, 20), random.substring(20, 25)).toUpperCase(java.util.Locale.ROOT);
      if (licenses.device(gateway.http(), "verify", key, backend).status() == 429) {
        refused++;
      }
    }
    assertTrue(refused >= 90, "beyond 600 a minute the address is refused: " + refused);
    long counted = keyCounters() - before;
    assertTrue(counted <= 620, "a key counter per admitted call only: " + counted);
  }

  /** The per-key call counters in Redis (one a key called this minute). */
  private static long keyCounters() {
    long count = 0;
    String cursor = "0";
    do {
      io.vertx.redis.client.Response page = gateway.redis(io.vertx.redis.client.Command.SCAN, cursor, "MATCH",
          gateway.redisPrefix() + "{license:key:*", "COUNT", "10000");
      cursor = page.get(0).toString();
      count += page.get(1).size();
    } while (!"0".equals(cursor));
    return count;
  }

  @Test
  @DisplayName("a client_ip counts only when the call carries the app secret")
  void clientIpNeedsTheSecret() {
    String key = licenses.license(licenses.policy(1)).getString("key");
    JsonObject spoofed = new JsonObject().put("client_ip", "198.51.100.9");
    assertEquals(200, licenses.device(gateway.http(), "verify", key, spoofed).status());
    JsonObject backend = spoofed.copy().put("app_secret", licenses.app().getString("app_secret"));
    assertEquals(200, licenses.device(gateway.http(), "verify", key, backend).status());
    // Not counted without the secret, but checked all the same, as every field is (h91: an object was taken).
    for (Object malformed : List.<Object>of(new JsonObject().put("x", 1), 12345, "999.1.1.1")) {
      ApiResponse wrongType = licenses.device(gateway.http(), "verify", key, new JsonObject().put("client_ip", malformed));
      assertEquals(400, wrongType.status(), String.valueOf(malformed));
      assertEquals("invalid_request", wrongType.error());
      assertTrue(wrongType.json().getString("message").startsWith("client_ip:"), wrongType.body());
    }
    JsonObject wrongSecret = spoofed.copy().put("app_secret", "pcs_wrong");
    ApiResponse refused = licenses.device(gateway.http(), "verify", key, wrongSecret);
    assertEquals(401, refused.status());
    assertEquals("invalid_client", refused.error());
    // A backend's client_ip is counted for its app alone: another app cannot use up this address's calls.
    String appId = licenses.appId();
    String ipCounter = gateway.redisPrefix() + "{license:ip:" + appId + "|198.51.100.9}";
    assertEquals(1, gateway.redis(io.vertx.redis.client.Command.GET, ipCounter).toLong(), "counted once, with the secret");
    assertEquals(null, gateway.redis(io.vertx.redis.client.Command.GET, gateway.redisPrefix() + "{license:ip:198.51.100.9}"),
        "not on the address's own counter");

    // An IPv6 address counts by its /64, as every per-network limit does.
    for (String address : List.of("2001:db8:1:2::5", "2001:db8:1:2::6")) {
      assertEquals(200, licenses.device(gateway.http(), "verify", key, backend.copy().put("client_ip", address)).status());
    }
    String v6Counter = gateway.redisPrefix() + "{license:ip:" + appId + "|"
        + dev.portcullis.http.SourceNetwork.limitKey("2001:db8:1:2::5") + "}";
    // Counts are leased (1, then 2, ...): two calls on one counter reserve at least 2, on two counters 1 each.
    assertTrue(gateway.redis(io.vertx.redis.client.Command.GET, v6Counter).toLong() >= 2, "one /64, one counter");
  }

  private static List<ApiResponse> activateConcurrently(String key, int devices, List<Http> gateways) {
    List<CompletableFuture<ApiResponse>> calls = IntStream.range(0, devices)
        .mapToObj(i -> licenses.activateAsync(gateways.get(i % gateways.size()), key, "concurrent-" + i))
        .toList();
    return calls.stream().map(CompletableFuture::join).toList();
  }

  private static void assertSeats(List<ApiResponse> answers, int seats) {
    Map<Integer, Long> byStatus = answers.stream().collect(Collectors.groupingBy(ApiResponse::status, Collectors.counting()));
    assertEquals(Map.of(201, (long) seats, 403, (long) (answers.size() - seats)), byStatus, answers.toString());
    answers.stream().filter(answer -> answer.status() == 403)
        .forEach(answer -> assertEquals("device_limit_reached", answer.error()));
  }

  @Test
  @DisplayName("a device name, platform or fingerprint with a control or text-direction character is 400 naming the "
      + "field, on a first activation and a repeat; accents, CJK, emoji and direction marks are ordinary text")
  void deviceTextHiddenCharacters() {
    String key = licenses.license(licenses.policy(2)).getString("key");
    for (String hidden : List.of("a\u0001b", "a\u202Eb", "a\u2066b", "a\u001b[2Jb")) {
      for (String field : List.of("name", "platform", "fingerprint")) {
        ApiResponse refused = licenses.device(gateway.http(), "activate", key,
            new JsonObject().put("fingerprint", "fp-text").put(field, hidden));
        assertEquals(400, refused.status(), refused.body());
        assertEquals(field + ": must not contain control or text-direction characters",
            refused.json().getString("message"));
      }
    }
    String name = "Portable de Ren\u00e9e \u30ce\u30fc\u30c8 \uD83D\uDCBB \u05D3\u05D5\u05D3\u200F\u200E";
    String platform = "macOS 15 \u00e9dition \u65e5\u672c\u8a9e";
    ApiResponse activated = licenses.device(gateway.http(), "activate", key,
        new JsonObject().put("fingerprint", "fp-text").put("name", name).put("platform", platform));
    assertEquals(201, activated.status(), "no refused call took the seat: " + activated.body());
    assertEquals(name, activated.json().getJsonObject("device").getString("name"));
    assertEquals(platform, activated.json().getJsonObject("device").getString("platform"));
    ApiResponse renamed = licenses.device(gateway.http(), "activate", key,
        new JsonObject().put("fingerprint", "fp-text").put("name", "x\u202Ey"));
    assertEquals(400, renamed.status(), "a repeat activation would store the name: " + renamed.body());
    ApiResponse again = licenses.device(gateway.http(), "activate", key, new JsonObject().put("fingerprint", "fp-text"));
    assertEquals(200, again.status(), again.body());
    assertEquals(name, again.json().getJsonObject("device").getString("name"));
  }

  @Test
  @DisplayName("a device activated before fingerprints refused control characters keeps its calls: verify, heartbeat, "
      + "checkout and deactivate find it (h35)")
  void olderFingerprintKeepsItsCalls() {
    String key = licenses.license(licenses.policy(2)).getString("key");
    String deviceId = licenses.activated(key, "fp-older");
    String multiLine = "cpu:abc\tdisk:def\n";
    licenses.update("UPDATE license_devices SET fingerprint = ? WHERE id = ?", multiLine, UUID.fromString(deviceId));
    for (String call : List.of("verify", "heartbeat", "checkout", "deactivate")) {
      ApiResponse answer = licenses.device(call, key, multiLine);
      assertEquals(200, answer.status(), call + ": " + answer.body());
    }
  }

  @Test
  @DisplayName("activations queued behind a licence's lock read its policy as it is when they get the lock: a policy "
      + "cut to one device meanwhile gives one seat (h96: both activated under the old limit)")
  void policyChangedWhileQueued() throws Exception {
    JsonObject policy = licenses.policy(6);
    JsonObject license = licenses.license(policy);
    String key = license.getString("key");
    java.util.List<java.util.concurrent.CompletableFuture<ApiResponse>> queued;
    try (java.sql.Connection db = gateway.jdbc(); java.sql.Statement lock = db.createStatement()) {
      db.setAutoCommit(false);
      lock.execute("SELECT 1 FROM licenses WHERE id = '" + license.getString("license_id") + "' FOR UPDATE");
      queued = java.util.List.of(licenses.activateAsync(gateway.http(), key, "fp-queued-1"),
          licenses.activateAsync(gateway.http(), key, "fp-queued-2"));
      dev.portcullis.testing.Await.until("both activations wait on the licence", java.time.Duration.ofSeconds(10),
          () -> gateway.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
              + "AND wait_event_type = 'Lock' AND query LIKE '%license_policies%'") == 2);
      ApiResponse cut = licenses.admin("PATCH", "/license-policies/" + policy.getString("policy_id"),
          new JsonObject().put("max_devices", 1));
      assertEquals(200, cut.status(), cut.body());
      db.rollback();
    }
    long seated = queued.stream().map(java.util.concurrent.CompletableFuture::join)
        .filter(answer -> answer.status() == 201).count();
    assertEquals(1, seated, queued.stream().map(f -> f.join().body()).toList().toString());
    assertEquals(1, licenses.liveDevices(license.getString("license_id")));
  }
}
