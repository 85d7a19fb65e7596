package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("License policies and licenses (admin API)")
class LicenseAdminTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().auditTap()
      .config(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IP, 1000)
      .config(GatewayConfig.OWNER_SIGNUP, "open");

  private static WebhookReceiver inbox;
  private static TestGateway gateway;
  private static AuditTap audit;
  private static LicenseFixture licenses;

  @BeforeAll
  static void app() {
    licenses = new LicenseFixture(gateway, gateway.createApp("admin-licenses"));
  }

  @Test
  @DisplayName("a policy is created with API.md's defaults, read, changed and listed")
  void policyLifecycle() {
    JsonObject created = licenses.policy(new JsonObject().put("name", "Team").put("max_devices", 5));
    assertNotNull(created.getString("policy_id"));
    assertEquals(2_592_000, created.getInteger("offline_ttl"));
    assertEquals(20, created.getInteger("max_activations_per_day"));
    assertNull(created.getValue("duration_seconds"));
    assertNull(created.getValue("heartbeat_interval"));
    assertEquals(new JsonArray(), created.getJsonArray("entitlements"));
    String path = "/license-policies/" + created.getString("policy_id");

    ApiResponse patched = licenses.admin("PATCH", path, new JsonObject().put("max_devices", 7)
        .put("entitlements", new JsonArray().add("pro")).put("heartbeat_interval", 600));
    assertEquals(200, patched.status(), patched.body());
    assertEquals(7, patched.json().getInteger("max_devices"));
    assertEquals(600, patched.json().getInteger("heartbeat_interval"));
    assertEquals("Team", licenses.admin("GET", path, null).json().getString("name"));
    JsonArray listed = licenses.admin("GET", "/license-policies", null).json().getJsonArray("policies");
    assertTrue(listed.stream().anyMatch(p -> created.getString("policy_id").equals(((JsonObject) p).getString("policy_id"))));
    // Paged like every list: limit and cursor, newest first.
    licenses.policy(new JsonObject().put("name", "Second").put("max_devices", 1));
    JsonObject first = licenses.admin("GET", "/license-policies?limit=1", null).json();
    assertEquals(1, first.getJsonArray("policies").size());
    assertNotNull(first.getString("next_cursor"));
    JsonObject second = licenses.admin("GET", "/license-policies?limit=1&cursor=" + first.getString("next_cursor"), null)
        .json();
    assertTrue(!first.getJsonArray("policies").getJsonObject(0).getString("policy_id")
        .equals(second.getJsonArray("policies").getJsonObject(0).getString("policy_id")), "the next page moves on");
    assertEquals(400, licenses.admin("GET", "/license-policies?limit=0", null).status());
    List<JsonObject> changed = audit.of(LicenseEvents.POLICY_CHANGED, licenses.appId()).stream()
        .filter(event -> created.getString("policy_id").equals(event.getJsonObject("data").getString("policy_id")))
        .toList();
    assertEquals(1, changed.size());
    // What changed, from what (h77: the fields given, and no values).
    JsonObject changes = changed.get(0).getJsonObject("data").getJsonObject("changes");
    assertEquals(new JsonObject().put("from", 5).put("to", 7), changes.getJsonObject("max_devices"));
    assertEquals(new JsonArray().add("pro"), changes.getJsonObject("entitlements").getJsonArray("added"));
    assertEquals(Set.of("max_devices", "entitlements", "heartbeat_interval"), changes.fieldNames());
    // A PATCH that changes nothing records nothing, nor one that only reorders the entitlements (h83).
    assertEquals(200, licenses.admin("PATCH", path, new JsonObject().put("max_devices", 7)).status());
    licenses.admin("PATCH", path, new JsonObject().put("entitlements", new JsonArray().add("pro").add("sso")));
    assertEquals(200, licenses.admin("PATCH", path, new JsonObject()
        .put("entitlements", new JsonArray().add("sso").add("pro"))).status());
    assertEquals(2, audit.of(LicenseEvents.POLICY_CHANGED, licenses.appId()).stream()
        .filter(event -> created.getString("policy_id").equals(event.getJsonObject("data").getString("policy_id")))
        .count(), "the first PATCH and the one adding sso");
  }

  @Test
  @DisplayName("a PATCH that gives offline_ttl or max_activations_per_day as null sets it back to its default, as a "
      + "POST does (h73)")
  void patchNullIsTheDefault() {
    JsonObject created = licenses.policy(new JsonObject().put("name", "Tight").put("max_devices", 1)
        .put("offline_ttl", 600).put("max_activations_per_day", 3));
    ApiResponse patched = licenses.admin("PATCH", "/license-policies/" + created.getString("policy_id"),
        new JsonObject().putNull("offline_ttl").putNull("max_activations_per_day"));
    assertEquals(200, patched.status(), patched.body());
    assertEquals(2_592_000, patched.json().getInteger("offline_ttl"));
    assertEquals(20, patched.json().getInteger("max_activations_per_day"));
  }

  @Test
  @DisplayName("a licence outlives its user: deleting the user leaves the licence, issued to no user, and its devices working")
  void licenceOutlivesItsUser() {
    ApiResponse user = licenses.admin("POST", "/users", new JsonObject().put("email", "leaving@example.com"));
    assertEquals(201, user.status(), user.body());
    String userId = user.json().getString("id");
    JsonObject license = licenses.license(licenses.policy(2), userId);
    String key = license.getString("key");
    assertEquals(201, licenses.device("activate", key, "fp-leaving").status());
    // A verify answer cached by every event loop names the user until the deletion (h75: for 5 s after it).
    for (int i = 0; i < 4; i++) {
      assertEquals(userId, licenses.device("verify", key, "fp-leaving").json().getJsonObject("license")
          .getString("user_id"));
    }
    assertEquals(200, licenses.admin("DELETE", "/users/" + userId, null).status());
    for (int i = 0; i < 4; i++) {
      assertNull(licenses.device("verify", key, "fp-leaving").json().getJsonObject("license").getValue("user_id"));
    }
    ApiResponse kept = licenses.admin("GET", "/licenses/" + license.getString("license_id"), null);
    assertEquals(200, kept.status(), kept.body());
    assertNull(kept.json().getValue("user_id"));
    assertEquals(1, kept.json().getJsonArray("devices").size());
    assertEquals("VALID", licenses.device("verify", key, "fp-leaving").json().getString("code"));
  }

  @Test
  @DisplayName("deleting a user while a login on their licensed device holds the licence waits for it, no deadlock")
  void userDeleteWaitsForALoginOnTheirLicence() throws Exception {
    ApiResponse user = licenses.admin("POST", "/users", new JsonObject().put("email", "deleted-mid-login@example.com"));
    String userId = user.json().getString("id");
    JsonObject license = licenses.license(licenses.policy(2), userId);
    try (java.sql.Connection login = gateway.jdbc()) {
      // what a device-bound login's session write does: the licence share-locked first, then the user row
      login.setAutoCommit(false);
      try (java.sql.PreparedStatement share = login.prepareStatement("SELECT 1 FROM licenses WHERE id = ? FOR SHARE")) {
        share.setObject(1, UUID.fromString(license.getString("license_id")));
        share.executeQuery().close();
      }
      java.util.concurrent.CompletableFuture<ApiResponse> delete = gateway.http().sendAsync("DELETE",
          "/v1/apps/" + licenses.appId() + "/users/" + userId, null,
          "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
      dev.portcullis.testing.Await.until("the delete waiting for the licence", java.time.Duration.ofSeconds(10),
          () -> delete.isDone() || licenses.count("SELECT count(*) FROM pg_stat_activity WHERE "
              + "datname = current_database() AND wait_event_type = 'Lock' "
              + "AND state = 'active' AND backend_type = 'client backend'") == 1);
      try (java.sql.PreparedStatement touch = login.prepareStatement("UPDATE users SET last_login_at = now() WHERE id = ?")) {
        touch.setObject(1, UUID.fromString(userId));
        assertEquals(1, touch.executeUpdate(), "the login reaches the user row: no deadlock");
      }
      login.commit();
      ApiResponse deleted = delete.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(200, deleted.status(), deleted.body());
    }
    assertNull(licenses.admin("GET", "/licenses/" + license.getString("license_id"), null).json().getValue("user_id"));
  }

  @Test
  @DisplayName("policy fields out of API.md's ranges, and a field a licence does not take, answer 400 invalid_request naming the field")
  void policyValidation() {
    for (JsonObject bad : List.of(
        new JsonObject().put("name", "x").put("max_devices", 0),
        new JsonObject().put("name", "x").put("max_devices", 100_001),
        new JsonObject().put("name", "x").put("max_devices", 1).put("heartbeat_interval", 59),
        new JsonObject().put("name", "x").put("max_devices", 1).put("max_activations_per_day", 1001),
        new JsonObject().put("name", "x").put("max_devices", "3"),
        new JsonObject().put("max_devices", 1))) {
      ApiResponse answer = licenses.admin("POST", "/license-policies", bad);
      assertEquals(400, answer.status(), bad + " -> " + answer.body());
      assertEquals("invalid_request", answer.error());
    }
    ApiResponse misspelt = licenses.admin("POST", "/licenses", new JsonObject()
        .put("policy_id", licenses.policy(1).getString("policy_id")).put("userid", UUID.randomUUID().toString()));
    assertEquals(400, misspelt.status(), misspelt.body());
    assertTrue(misspelt.json().getString("message").startsWith("userid: is not a field"), misspelt.body());
  }

  @Test
  @DisplayName("a policy in use cannot be deleted (409); an unused one can")
  void policyDeletion() {
    JsonObject used = licenses.policy(1);
    licenses.license(used);
    ApiResponse refused = licenses.admin("DELETE", "/license-policies/" + used.getString("policy_id"), null);
    assertEquals(409, refused.status(), refused.body());
    JsonObject unused = licenses.policy(1);
    assertEquals(200, licenses.admin("DELETE", "/license-policies/" + unused.getString("policy_id"), null).status());
    assertEquals(404, licenses.admin("GET", "/license-policies/" + unused.getString("policy_id"), null).status());
  }

  @Test
  @DisplayName("a new license shows its key once: five groups of five Crockford characters, stored only as a keyed hash")
  void keyShownOnce() throws Exception {
    JsonObject policy = licenses.policy(new JsonObject().put("name", "Year").put("max_devices", 2)
        .put("duration_seconds", 31_536_000).put("entitlements", new JsonArray().add("pro")));
    JsonObject created = licenses.license(policy);
    String key = created.getString("key");
    assertTrue(key.matches("[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}"), key);
    assertEquals(key.substring(24), created.getString("key_hint"));
    assertEquals("active", created.getString("status"));
    assertEquals(List.of("pro"), created.getJsonArray("entitlements").getList());
    assertEquals(2, created.getInteger("max_devices"));
    long year = java.time.Instant.parse(created.getString("expires_at")).getEpochSecond()
        - java.time.Instant.parse(created.getString("created_at")).getEpochSecond();
    assertTrue(Math.abs(year - 31_536_000) <= 2, "expires after the policy's duration");

    ApiResponse read = licenses.admin("GET", "/licenses/" + created.getString("license_id"), null);
    assertEquals(200, read.status(), read.body());
    assertFalse(read.body().contains(key), "the key is never answered again");
    assertEquals(new JsonArray(), read.json().getJsonArray("devices"));
    assertEquals(0, read.json().getLong("device_count"));
    assertFalse(audit.allEncoded().contains(key), "nor audited");
    try (var connection = gateway.jdbc(); var rows = connection.createStatement().executeQuery(
        "SELECT key_hash, key_hint FROM licenses WHERE id = '" + created.getString("license_id") + "'")) {
      rows.next();
      assertEquals(32, rows.getBytes(1).length);
      assertFalse(new String(rows.getBytes(1), java.nio.charset.StandardCharsets.ISO_8859_1).contains(key));
    }
  }

  @Test
  @DisplayName("keys are distinct and spread over the whole alphabet")
  void keysAreRandom() {
    Set<String> keys = new HashSet<>();
    Set<Character> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      String key = LicenseKeys.generate();
      keys.add(key);
      key.replace("-", "").chars().forEach(c -> seen.add((char) c));
    }
    assertEquals(200, keys.size());
    assertEquals(32, seen.size());
  }

  @Test
  @DisplayName("the list filters by user_id and status and pages with a cursor, newest first")
  void listFiltersAndPages() {
    LicenseFixture app = new LicenseFixture(gateway, gateway.createApp("admin-list"));
    JsonObject policy = app.policy(1);
    String user = UUID.randomUUID().toString();
    app.update("INSERT INTO users (id, app_id, email) VALUES (?, ?, ?)", UUID.fromString(user),
        UUID.fromString(app.appId()), "listed@example.com");
    List<JsonObject> made = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      made.add(i < 2 ? app.license(policy, user) : app.license(policy));
    }
    app.admin("POST", "/licenses/" + made.get(4).getString("license_id") + "/suspend", null);

    JsonObject first = app.admin("GET", "/licenses?limit=2", null).json();
    assertEquals(2, first.getJsonArray("licenses").size());
    assertEquals(made.get(4).getString("license_id"), first.getJsonArray("licenses").getJsonObject(0).getString("license_id"));
    JsonObject rest = app.admin("GET", "/licenses?limit=10&cursor=" + first.getString("next_cursor"), null).json();
    assertEquals(3, rest.getJsonArray("licenses").size());
    assertNull(rest.getValue("next_cursor"));

    assertEquals(2, app.admin("GET", "/licenses?user_id=" + user, null).json().getJsonArray("licenses").size());
    assertEquals(1, app.admin("GET", "/licenses?status=suspended", null).json().getJsonArray("licenses").size());
    assertEquals(4, app.admin("GET", "/licenses?status=active", null).json().getJsonArray("licenses").size());
    assertEquals(400, app.admin("GET", "/licenses?status=odd", null).status());
  }

  @Test
  @DisplayName("suspend and reinstate go back and forth; revoke is final")
  void transitions() {
    JsonObject license = licenses.license(licenses.policy(1));
    String path = "/licenses/" + license.getString("license_id");
    assertEquals("suspended", licenses.admin("POST", path + "/suspend", null).json().getString("status"));
    assertEquals("active", licenses.admin("POST", path + "/reinstate", null).json().getString("status"));
    assertEquals("revoked", licenses.admin("POST", path + "/revoke", null).json().getString("status"));
    ApiResponse reinstate = licenses.admin("POST", path + "/reinstate", null);
    assertEquals(409, reinstate.status(), reinstate.body());
    assertEquals("conflict", reinstate.error());
    assertEquals(200, licenses.admin("POST", path + "/revoke", null).status(), "revoking again changes nothing");
    assertEquals(1, audit.of(LicenseEvents.REVOKED, licenses.appId()).stream()
        .filter(event -> license.getString("license_id").equals(event.getJsonObject("data").getString("license_id")))
        .count());
  }

  @Test
  @DisplayName("a license lists at most 1,000 devices, live ones first, and says how many it has in all")
  void deviceListIsCapped() throws Exception {
    JsonObject license = licenses.license(licenses.policy(1));
    String live = licenses.activated(license.getString("key"), "fp-live");
    try (var connection = gateway.jdbc(); var insert = connection.prepareStatement(
        "INSERT INTO license_devices (id, license_id, app_id, fingerprint, activated_at, deactivated_at) "
            + "SELECT gen_random_uuid(), ?::uuid, ?::uuid, 'fp-' || g, now() - interval '1 hour', now() "
            + "FROM generate_series(1, 1004) g")) {
      insert.setString(1, license.getString("license_id"));
      insert.setString(2, licenses.appId());
      insert.executeUpdate();
    }
    JsonObject read = licenses.admin("GET", "/licenses/" + license.getString("license_id"), null).json();
    assertEquals(1000, read.getJsonArray("devices").size());
    assertEquals(1005, read.getLong("device_count"));
    assertEquals(live, read.getJsonArray("devices").getJsonObject(0).getString("device_id"));
  }

  @Test
  @DisplayName("the owner removes a device: its seat is freed and the license lists it as inactive")
  void deleteDevice() {
    JsonObject license = licenses.license(licenses.policy(1));
    String key = license.getString("key");
    String deviceId = licenses.activated(key, "fp-admin");
    String path = "/licenses/" + license.getString("license_id");
    ApiResponse removed = licenses.admin("DELETE", path + "/devices/" + deviceId, null);
    assertEquals(200, removed.status(), removed.body());
    JsonObject device = licenses.admin("GET", path, null).json().getJsonArray("devices").getJsonObject(0);
    assertEquals(deviceId, device.getString("device_id"));
    assertEquals(false, device.getBoolean("active"));
    assertEquals("fp-admin", device.getString("fingerprint"));
    assertNotNull(device.getString("first_seen_at"));
    licenses.activated(key, "fp-next");
    assertEquals(404, licenses.admin("DELETE", path + "/devices/" + UUID.randomUUID(), null).status());
  }

  @Test
  @DisplayName("an owner sees only its own apps' licenses: another owner's are 404")
  void ownersSeeOnlyTheirApps() {
    String alice = SignIns.owner(gateway, inbox, "alice-licenses@example.com").getString("access_token");
    String bob = SignIns.owner(gateway, inbox, "bob-licenses@example.com").getString("access_token");
    ApiResponse app = gateway.http().post("/v1/apps", new JsonObject().put("name", "Alice's").put("slug", "alice-lic"),
        Http.bearer(alice));
    assertEquals(201, app.status(), app.body());
    String base = "/v1/apps/" + app.json().getString("app_id");
    ApiResponse policy = gateway.http().post(base + "/license-policies",
        new JsonObject().put("name", "P").put("max_devices", 1), Http.bearer(alice));
    assertEquals(201, policy.status(), policy.body());
    ApiResponse license = gateway.http().post(base + "/licenses",
        new JsonObject().put("policy_id", policy.json().getString("policy_id")), Http.bearer(alice));
    assertEquals(201, license.status(), license.body());

    assertEquals(404, gateway.http().get(base + "/licenses", Http.bearer(bob)).status());
    assertEquals(404, gateway.http().get(base + "/licenses/" + license.json().getString("license_id"),
        Http.bearer(bob)).status());
    assertEquals(404, gateway.http().post(base + "/licenses/" + license.json().getString("license_id") + "/revoke",
        new JsonObject(), Http.bearer(bob)).status());
    assertEquals(200, gateway.http().get(base + "/licenses", Http.bearer(alice)).status());
  }

  @Test
  @DisplayName("a policy or licence name with a control or text-direction character is 400 naming name, on create and "
      + "on a policy's change; accents, CJK, emoji and direction marks are ordinary text")
  void namesHiddenCharacters() {
    // An app of its own: its policy.changed event is not one policyLifecycle counts.
    LicenseFixture own = new LicenseFixture(gateway, gateway.createApp("admin-licenses-text"));
    String ordinary = "\u00c9quipe \u6771\u4eac \uD83D\uDE80 \u05D3\u05D5\u05D3 \u200FPro\u200E";
    JsonObject policy = own.policy(new JsonObject().put("name", ordinary).put("max_devices", 2));
    assertEquals(ordinary, policy.getString("name"));
    String path = "/license-policies/" + policy.getString("policy_id");
    JsonObject license = own.licenseFrom(new JsonObject().put("policy_id", policy.getString("policy_id"))
        .put("name", ordinary));
    assertEquals(ordinary, license.getString("name"));
    for (String hidden : List.of("a\u0001b", "a\u202Eb", "a\u2066b")) {
      for (ApiResponse refused : List.of(
          own.admin("POST", "/license-policies", new JsonObject().put("name", hidden).put("max_devices", 1)),
          own.admin("PATCH", path, new JsonObject().put("name", hidden)),
          own.admin("POST", "/licenses", new JsonObject().put("policy_id", policy.getString("policy_id"))
              .put("name", hidden)))) {
        assertEquals(400, refused.status(), refused.body());
        assertEquals("name: must not contain control or text-direction characters", refused.json().getString("message"));
      }
    }
    assertEquals(ordinary, own.admin("GET", path, null).json().getString("name"), "a refused change changes nothing");
    ApiResponse renamed = own.admin("PATCH", path, new JsonObject().put("name", "Pro \u00e9t\u00e9 \u590f"));
    assertEquals(200, renamed.status(), renamed.body());
    assertEquals("Pro \u00e9t\u00e9 \u590f", renamed.json().getString("name"));
  }
}
