package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import dev.portcullis.testing.Await;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Sessions bound to a licensed device")
class SessionBindingTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook()
      .config(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IP, 1000)
      // The housekeeping job that revokes an expired license's sessions stays out of these tests' way.
      .config("PORTCULLIS_LICENSE_JOB_INTERVAL_MS", 3_600_000);

  private static WebhookReceiver inbox;
  private static TestGateway gateway;
  private static LicenseFixture licenses;
  private static JsonObject policy;

  @BeforeAll
  static void app() {
    licenses = new LicenseFixture(gateway, gateway.createApp(new JsonObject().put("name", "Binding").put("slug", "binding-app")
        .put("settings", new JsonObject().put("otp_resend_cooldown", 0).put("otp_max_sends_per_hour", 1000)
            .put("challenge_required", false).put("require_verified_identity", false))));
    policy = licenses.policy(3);
  }

  @Test
  @DisplayName("a login with device_id and its license key binds the session: tokens carry did and ent, also after a refresh")
  void tokensCarryDeviceClaims() {
    String key = licenses.license(policy).getString("key");
    String deviceId = licenses.activated(key, "fp-bound");
    ApiResponse login = login("bound@example.com", new JsonObject().put("device_id", deviceId).put("key", key));
    assertEquals(200, login.status(), login.body());
    JsonObject claims = LicenseFixture.claims(login.json().getString("access_token"));
    assertEquals(deviceId, claims.getString("did"));
    assertEquals(List.of("export", "sync"), claims.getJsonArray("ent").getList());
    assertEquals(1, licenses.count("SELECT count(*) FROM sessions WHERE id = ? AND device_id = ?",
        UUID.fromString(claims.getString("sid")), UUID.fromString(deviceId)));

    ApiResponse refreshed = gateway.http().post("/auth/refresh", credentials()
        .put("refresh_token", login.json().getString("refresh_token")));
    assertEquals(200, refreshed.status(), refreshed.body());
    assertEquals(deviceId, LicenseFixture.claims(refreshed.json().getString("access_token")).getString("did"));
  }

  @Test
  @DisplayName("a first device-bound login naming a tenant is 403 and makes no user: the next login reports new_user")
  void firstDeviceLoginIntoATenantMakesNoUser() {
    String key = licenses.license(policy).getString("key");
    String deviceId = licenses.activated(key, "fp-tenant");
    JsonObject binding = new JsonObject().put("device_id", deviceId).put("key", key);
    ApiResponse refused = login("tenant-device@example.com", binding.copy().put("tenant_id", UUID.randomUUID().toString()));
    assertEquals(403, refused.status(), refused.body());
    assertEquals("forbidden", refused.error());
    assertEquals(0, licenses.count("SELECT count(*) FROM users WHERE email = ?", "tenant-device@example.com"));
    ApiResponse login = login("tenant-device@example.com", binding);
    assertEquals(200, login.status(), login.body());
    assertEquals(true, login.json().getBoolean("new_user"));
  }

  @Test
  @DisplayName("a first login with a wrong key or a revoked license's device is refused and makes no user, by OTP or sign-up")
  void badKeyMakesNoUser() {
    JsonObject revoked = licenses.license(policy);
    String revokedDevice = licenses.activated(revoked.getString("key"), "fp-revoked");
    ApiResponse revoke = licenses.admin("POST", "/licenses/" + revoked.getString("license_id") + "/revoke", new JsonObject());
    assertEquals(200, revoke.status(), revoke.body());
    String key = licenses.license(policy).getString("key");
    String deviceId = licenses.activated(key, "fp-first");

    ApiResponse wrongKey = login("first-bad-key@example.com", new JsonObject().put("device_id", deviceId)
        .put("key", "ABCDE-FGHJK-MNPQR-STVWX-YZ012"));
    assertEquals(401, wrongKey.status(), wrongKey.body());
    assertEquals("invalid_license", wrongKey.error());
    ApiResponse revokedLicense = login("first-bad-key@example.com", new JsonObject().put("device_id", revokedDevice)
        .put("key", revoked.getString("key")));
    assertEquals(403, revokedLicense.status(), revokedLicense.body());
    assertEquals("license_revoked", revokedLicense.error());
    assertEquals(0, licenses.count("SELECT count(*) FROM users WHERE email = ?", "first-bad-key@example.com"));
    ApiResponse login = login("first-bad-key@example.com", new JsonObject().put("device_id", deviceId).put("key", key));
    assertEquals(200, login.status(), login.body());
    assertEquals(true, login.json().getBoolean("new_user"));

    ApiResponse signup = gateway.http().post("/auth/signup", credentials().put("email", "signup-bad-key@example.com")
        .put("password", "correct horse battery staple"));
    assertEquals(202, signup.status(), signup.body());
    String verificationId = signup.json().getString("verification_id");
    ApiResponse refused = gateway.http().post("/auth/verify", credentials().put("verification_id", verificationId)
        .put("code", inbox.awaitCode(verificationId)).put("device_id", revokedDevice).put("key", revoked.getString("key")));
    assertEquals(403, refused.status(), refused.body());
    assertEquals("license_revoked", refused.error());
    assertEquals(0, licenses.count("SELECT count(*) FROM users WHERE email = ?", "signup-bad-key@example.com"));
  }

  @Test
  @DisplayName("a first login with the device of another user's license is 403 and makes no user, by OTP or sign-up "
      + "(h57: refused, but the account was made)")
  void anotherUsersLicenseMakesNoUser() {
    String owner = userId("license-owner@example.com");
    String key = licenses.license(policy, owner).getString("key");
    String deviceId = licenses.activated(key, "fp-owners");

    ApiResponse byCode = login("first-not-theirs@example.com", new JsonObject().put("device_id", deviceId)
        .put("key", key));
    assertEquals(403, byCode.status(), byCode.body());
    assertEquals("forbidden", byCode.error());
    assertEquals(0, licenses.count("SELECT count(*) FROM users WHERE email = ?", "first-not-theirs@example.com"));

    ApiResponse signup = gateway.http().post("/auth/signup", credentials().put("email", "signup-not-theirs@example.com")
        .put("password", "correct horse battery staple"));
    assertEquals(202, signup.status(), signup.body());
    String verificationId = signup.json().getString("verification_id");
    ApiResponse refused = gateway.http().post("/auth/verify", credentials().put("verification_id", verificationId)
        .put("code", inbox.awaitCode(verificationId)).put("device_id", deviceId).put("key", key));
    assertEquals(403, refused.status(), refused.body());
    assertEquals("forbidden", refused.error());
    assertEquals(0, licenses.count("SELECT count(*) FROM users WHERE email = ?", "signup-not-theirs@example.com"));

    ApiResponse theOwner = login("license-owner@example.com", new JsonObject().put("device_id", deviceId)
        .put("key", key));
    assertEquals(200, theOwner.status(), "the owner's own login binds: " + theOwner.body());
  }

  @Test
  @DisplayName("a user's login refused for a bad key keeps its user on the code's otp.verified audit event")
  void refusedLoginOfAUserIsAuditedWithTheUser() {
    String userId = userId("known-bad-key@example.com");
    String deviceId = licenses.activated(licenses.license(policy).getString("key"), "fp-known");
    ApiResponse sent = gateway.http().post("/auth/send-otp", credentials().put("email", "known-bad-key@example.com"));
    String requestId = sent.json().getString("otp_request_id");
    ApiResponse refused = gateway.http().post("/auth/verify-otp", credentials().put("otp_request_id", requestId)
        .put("otp", inbox.awaitCode(requestId)).put("device_id", deviceId).put("key", "ABCDE-FGHJK-MNPQR-STVWX-YZ012"));
    assertEquals(401, refused.status(), refused.body());
    assertEquals("invalid_license", refused.error());
    Await.until("the code's otp.verified event", Duration.ofSeconds(5), () -> licenses.count(
        "SELECT count(*) FROM audit_events WHERE type = 'otp.verified' AND data->>'otp_request_id' = ?", requestId) == 1);
    assertEquals(1, licenses.count("SELECT count(*) FROM audit_events WHERE type = 'otp.verified' "
        + "AND data->>'otp_request_id' = ? AND user_id = ?::uuid", requestId, userId));
  }

  @Test
  @DisplayName("a login without a device carries neither did nor ent")
  void unboundLogin() {
    ApiResponse login = login("plain@example.com", new JsonObject());
    assertEquals(200, login.status(), login.body());
    JsonObject claims = LicenseFixture.claims(login.json().getString("access_token"));
    assertFalse(claims.containsKey("did"));
    assertFalse(claims.containsKey("ent"));
  }

  @Test
  @DisplayName("suspending the license revokes its bound session at once: /auth/me answers session_revoked")
  void suspensionRevokesBoundSessions() {
    JsonObject license = licenses.license(policy);
    String key = license.getString("key");
    String deviceId = licenses.activated(key, "fp-suspend");
    String bound = accessToken(login("suspend@example.com", new JsonObject().put("device_id", deviceId).put("key", key)));
    String unbound = accessToken(login("suspend@example.com", new JsonObject()));
    assertEquals(200, me(bound).status());

    ApiResponse suspended = licenses.admin("POST", "/licenses/" + license.getString("license_id") + "/suspend", null);
    assertEquals(200, suspended.status(), suspended.body());
    assertEquals("suspended", suspended.json().getString("status"));

    ApiResponse me = me(bound);
    assertEquals(401, me.status(), me.body());
    assertEquals("session_revoked", me.error());
    assertEquals(200, me(unbound).status(), "the user's other sessions stay");
    String sid = LicenseFixture.claims(bound).getString("sid");
    dev.portcullis.testing.Await.until("session.revoked naming who suspended", java.time.Duration.ofSeconds(10),
        () -> licenses.count("SELECT count(*) FROM audit_events WHERE type = 'session.revoked' "
            + "AND data->>'session_id' = ? AND data->>'reason' = 'license_suspended' AND data->'by' IS NOT NULL",
            sid) == 1);
  }

  @Test
  @DisplayName("a bound session ends when its license expires, not at the housekeeping job's next run: its access "
      + "tokens expire with the license, /auth/me refuses them from then on, and the session's refresh token is "
      + "session_revoked (h33)")
  void licenseExpiryEndsBoundSessions() {
    JsonObject license = licenses.license(policy);
    String key = license.getString("key");
    String deviceId = licenses.activated(key, "fp-expiring");
    licenses.update("UPDATE licenses SET expires_at = now() + interval '2 seconds' WHERE id = ?",
        UUID.fromString(license.getString("license_id")));
    ApiResponse login = login("expiring@example.com", new JsonObject().put("device_id", deviceId).put("key", key));
    String bound = accessToken(login);
    JsonObject claims = LicenseFixture.claims(bound);
    assertTrue(claims.getLong("exp") - claims.getLong("iat") <= 2, "the token ends with the license: " + claims);
    assertTrue(login.json().getInteger("expires_in") <= 2, login.body());
    assertTrue(login.json().getInteger("refresh_expires_in") <= 2, "the refresh token too (h103): " + login.body());
    String unbound = accessToken(login("expiring@example.com", new JsonObject()));

    // Its token expires with the license too, a second later refused as expired (1 s of leeway): either answer
    dev.portcullis.testing.Await.until("/auth/me to refuse the session of the expired license",
        java.time.Duration.ofSeconds(10), () -> me(bound).status() == 401);
    String refusal = me(bound).error();
    assertTrue(refusal.equals("session_revoked") || refusal.equals("invalid_token"), refusal);
    ApiResponse refreshed = gateway.http().post("/auth/refresh", credentials()
        .put("refresh_token", login.json().getString("refresh_token")));
    assertEquals("session_revoked", refreshed.error(), "the session ended, not only its token: " + refreshed.body());
    assertEquals(200, me(unbound).status(), "the user's other sessions stay");
  }

  @Test
  @DisplayName("deactivating the device and revoking the license revoke their bound sessions")
  void deactivationAndRevocationRevoke() {
    JsonObject license = licenses.license(policy);
    String key = license.getString("key");
    String first = licenses.activated(key, "fp-first");
    String second = licenses.activated(key, "fp-second");
    String onFirst = accessToken(login("two@example.com", new JsonObject().put("device_id", first).put("key", key)));
    String onSecond = accessToken(login("two@example.com", new JsonObject().put("device_id", second).put("key", key)));

    assertEquals(200, licenses.device("deactivate", key, "fp-first").status());
    assertEquals("session_revoked", me(onFirst).error());
    assertEquals(200, me(onSecond).status(), "the other device's session stays");

    assertEquals(200, licenses.admin("POST", "/licenses/" + license.getString("license_id") + "/revoke", null).status());
    assertEquals("session_revoked", me(onSecond).error());
  }

  /**
   * Ending a device's seat revokes its sessions, but in a separate step (before this release, in a second
   * transaction, and still so on an older process during a rolling upgrade): a session that step missed must not
   * refresh for ever (upgrade probe). The deactivation and the suspension are written here as that step left them.
   */
  @Test
  @DisplayName("a bound session whose device was deactivated, or whose license was suspended, without the session being "
      + "revoked is not refreshed: 401 session_revoked, and the refresh token is not spent")
  void refreshChecksTheDevice() {
    JsonObject license = licenses.license(policy);
    String key = license.getString("key");
    String deviceId = licenses.activated(key, "fp-orphan");
    ApiResponse login = login("orphan@example.com", new JsonObject().put("device_id", deviceId).put("key", key));
    assertEquals(200, login.status(), login.body());
    JsonObject refresh = credentials().put("refresh_token", login.json().getString("refresh_token"));

    licenses.update("UPDATE license_devices SET deactivated_at = now() WHERE id = ?", UUID.fromString(deviceId));
    ApiResponse refused = gateway.http().post("/auth/refresh", refresh);
    assertEquals(401, refused.status(), refused.body());
    assertEquals("session_revoked", refused.error());

    licenses.update("UPDATE license_devices SET deactivated_at = NULL WHERE id = ?", UUID.fromString(deviceId));
    licenses.update("UPDATE licenses SET status = 'suspended' WHERE id = ?", UUID.fromString(license.getString("license_id")));
    assertEquals("session_revoked", gateway.http().post("/auth/refresh", refresh).error());

    licenses.update("UPDATE licenses SET status = 'active' WHERE id = ?", UUID.fromString(license.getString("license_id")));
    ApiResponse refreshed = gateway.http().post("/auth/refresh", refresh);
    assertEquals(200, refreshed.status(), "the token was not spent by the refused refreshes: " + refreshed.body());

    // within the reuse grace window the spent token is answered again, as a lost answer's retry: not once the seat
    // is gone either (regression probe)
    licenses.update("UPDATE license_devices SET deactivated_at = now() WHERE id = ?", UUID.fromString(deviceId));
    ApiResponse replayed = gateway.http().post("/auth/refresh", refresh);
    assertEquals(401, replayed.status(), replayed.body());
    assertEquals("session_revoked", replayed.error());
  }

  @Test
  @DisplayName("a device deactivated while a login binds to it leaves that login without a session")
  void deactivationDuringTheLogin() throws Exception {
    String key = licenses.license(policy).getString("key");
    String deviceId = licenses.activated(key, "fp-racing");
    ApiResponse sent = gateway.http().post("/auth/send-otp", credentials().put("email", "racing@example.com"));
    String requestId = sent.json().getString("otp_request_id");
    JsonObject verify = credentials().put("otp_request_id", requestId).put("otp", inbox.awaitCode(requestId))
        .put("device_id", deviceId).put("key", key);
    // The deactivation holds the device's row, uncommitted, while the login checks the binding and writes its
    // session: the check reads the committed device (live), the write must wait for the deactivation and see it.
    try (Connection deactivation = gateway.jdbc()) {
      deactivation.setAutoCommit(false);
      try (PreparedStatement update = deactivation.prepareStatement(
          "UPDATE license_devices SET deactivated_at = now(), deactivation_reason = 'deactivated' WHERE id = ?")) {
        update.setObject(1, UUID.fromString(deviceId));
        assertEquals(1, update.executeUpdate());
      }
      CompletableFuture<ApiResponse> login = gateway.http().postAsync("/auth/verify-otp", verify);
      Await.until("the login's session write waiting for the device", Duration.ofSeconds(10), () -> login.isDone()
          || licenses.count("SELECT count(*) FROM pg_stat_activity WHERE "
              + "datname = current_database() AND wait_event_type = 'Lock' "
              + "AND query LIKE 'WITH s AS (INSERT INTO sessions%'") == 1);
      deactivation.commit();
      ApiResponse answer = login.get(10, TimeUnit.SECONDS);
      assertEquals(401, answer.status(), answer.body());
      assertEquals("invalid_license", answer.error());
    }
    assertEquals(0, licenses.count("SELECT count(*) FROM sessions WHERE device_id = ? AND revoked_at IS NULL",
        UUID.fromString(deviceId)));
  }

  @Test
  @DisplayName("a device silent past its heartbeat interval (verify: HEARTBEAT_DEAD) cannot bind a session")
  void silentDeviceCannotBind() {
    JsonObject heartbeat = licenses.policy(new JsonObject().put("name", "Heartbeat binding").put("max_devices", 1)
        .put("heartbeat_interval", 60));
    String key = licenses.license(heartbeat).getString("key");
    String deviceId = licenses.activated(key, "fp-silent-login");
    licenses.update("UPDATE license_devices SET last_heartbeat_at = now() - interval '90 seconds' WHERE id = ?",
        UUID.fromString(deviceId));
    assertEquals("HEARTBEAT_DEAD", licenses.device("verify", key, "fp-silent-login").json().getString("code"));
    ApiResponse login = login("silent@example.com", new JsonObject().put("device_id", deviceId).put("key", key));
    assertEquals(401, login.status(), login.body());
    assertEquals("invalid_license", login.error());
    assertEquals(200, licenses.device("heartbeat", key, "fp-silent-login").status());
    assertEquals(200, login("silent@example.com", new JsonObject().put("device_id", deviceId).put("key", key)).status(),
        "a heartbeat brings it back");
  }

  @Test
  @DisplayName("a device id without its key, with a wrong key or of another user's license cannot bind a session")
  void bindingNeedsTheKey() {
    JsonObject owned = licenses.license(policy, userId("owner@example.com"));
    String key = owned.getString("key");
    String deviceId = licenses.activated(key, "fp-owned");

    ApiResponse noKey = login("thief@example.com", new JsonObject().put("device_id", deviceId));
    assertEquals(400, noKey.status(), noKey.body());
    assertEquals("invalid_request", noKey.error());

    String otherKey = licenses.license(policy).getString("key");
    ApiResponse wrongKey = login("thief@example.com", new JsonObject().put("device_id", deviceId).put("key", otherKey));
    assertEquals(401, wrongKey.status(), wrongKey.body());
    assertEquals("invalid_license", wrongKey.error());

    ApiResponse notTheirs = login("thief@example.com", new JsonObject().put("device_id", deviceId).put("key", key));
    assertEquals(403, notTheirs.status(), notTheirs.body());
    assertEquals("forbidden", notTheirs.error());

    ApiResponse owner = login("owner@example.com", new JsonObject().put("device_id", deviceId).put("key", key));
    assertEquals(200, owner.status(), owner.body());
  }

  @Test
  @DisplayName("a password login binds a device only with its license key, like an OTP login")
  void passwordLoginNeedsTheKey() {
    String key = licenses.license(policy).getString("key");
    String deviceId = licenses.activated(key, "fp-password");
    ApiResponse user = licenses.admin("POST", "/users", new JsonObject().put("email", "pw@example.com")
        .put("password", "correct horse battery staple"));
    assertEquals(201, user.status(), user.body());
    JsonObject login = credentials().put("email", "pw@example.com").put("password", "correct horse battery staple")
        .put("device_id", deviceId);

    ApiResponse noKey = gateway.http().post("/auth/login", login);
    assertEquals(400, noKey.status(), noKey.body());
    assertEquals("invalid_request", noKey.error());

    ApiResponse bound = gateway.http().post("/auth/login", login.copy().put("key", key));
    assertEquals(200, bound.status(), bound.body());
    assertEquals(deviceId, LicenseFixture.claims(bound.json().getString("access_token")).getString("did"));
  }

  @Test
  @DisplayName("a sign-up's verification binds a device with its license key, like a login; a key without device_id is 400")
  void signupVerificationBindsTheDevice() {
    String key = licenses.license(policy).getString("key");
    String deviceId = licenses.activated(key, "fp-signup");
    ApiResponse signup = gateway.http().post("/auth/signup", credentials().put("email", "newdevice@example.com")
        .put("password", "correct horse battery staple"));
    assertEquals(202, signup.status(), signup.body());
    String verificationId = signup.json().getString("verification_id");
    JsonObject verify = credentials().put("verification_id", verificationId)
        .put("code", inbox.awaitCode(verificationId));

    for (String path : List.of("/auth/verify", "/auth/verify-otp", "/auth/login")) {
      ApiResponse keyAlone = gateway.http().post(path, credentials().put("key", key).put("verification_id", verificationId)
          .put("code", "000000").put("otp_request_id", UUID.randomUUID().toString()).put("otp", "000000")
          .put("email", "newdevice@example.com").put("password", "x"));
      assertEquals(400, keyAlone.status(), path + ": " + keyAlone.body());
      assertEquals("invalid_request", keyAlone.error());
      assertEquals(true, keyAlone.json().getString("message").startsWith("device_id"), keyAlone.body());
    }

    ApiResponse bound = gateway.http().post("/auth/verify", verify.copy().put("device_id", deviceId).put("key", key));
    assertEquals(200, bound.status(), bound.body());
    assertEquals(deviceId, LicenseFixture.claims(bound.json().getString("access_token")).getString("did"));
  }

  private static String userId(String email) {
    ApiResponse login = login(email, new JsonObject());
    assertEquals(200, login.status(), login.body());
    return login.json().getJsonObject("user").getString("id");
  }

  private static ApiResponse login(String email, JsonObject binding) {
    ApiResponse sent = gateway.http().post("/auth/send-otp", credentials().put("email", email));
    assertEquals(200, sent.status(), sent.body());
    String requestId = sent.json().getString("otp_request_id");
    return gateway.http().post("/auth/verify-otp", credentials().put("otp_request_id", requestId)
        .put("otp", inbox.awaitCode(requestId)).mergeIn(binding));
  }

  private static String accessToken(ApiResponse login) {
    assertEquals(200, login.status(), login.body());
    assertNull(login.json().getValue("error"));
    return login.json().getString("access_token");
  }

  private static ApiResponse me(String accessToken) {
    return gateway.http().get("/auth/me", Http.bearer(accessToken));
  }

  private static JsonObject credentials() {
    return new JsonObject().put("app_id", licenses.appId()).put("app_secret", licenses.app().getString("app_secret"));
  }
}
