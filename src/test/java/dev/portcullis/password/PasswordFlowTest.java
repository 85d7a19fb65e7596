package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.audit.AuditTrail;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.SlowTrigger;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Password signup, verification, login, change and reset")
class PasswordFlowTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().auditTap();

  static TestGateway gateway;
  static WebhookReceiver receiver;
  static AuditTap audit;

  @Test
  @DisplayName("signup makes no user until its code is verified; then login, change and reset each work and revoke "
      + "what they should, and the code login keeps working for the same user")
  void wholePath() {
    PasswordClient client = withoutCooldown("pw-path");
    String email = "ana@example.com";
    ApiResponse signup = client.signup(email, "tangerine skyline 42");
    assertEquals(202, signup.status(), signup.body());
    JsonObject pending = signup.json();
    assertEquals("email", pending.getString("channel"));
    assertEquals(300, pending.getInteger("expires_in"));
    assertEquals(0, pending.getInteger("resend_after"));
    assertNull(passwordHash(client.appId(), email), "no user before the code is verified");

    String verificationId = pending.getString("verification_id");
    ApiResponse verified = client.verify(verificationId, receiver.awaitCode(verificationId));
    assertEquals(200, verified.status(), verified.body());
    assertEquals(true, verified.json().getBoolean("new_user"));
    assertEquals(email, verified.json().getJsonObject("user").getString("email"));
    assertTrue(passwordHash(client.appId(), email).startsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
    assertTrue(emailVerified(client.appId(), email));
    String firstAccess = verified.json().getString("access_token");

    ApiResponse login = client.login(email, "tangerine skyline 42", null);
    assertEquals(200, login.status(), login.body());
    assertEquals(false, login.json().getBoolean("new_user"));
    String userId = login.json().getJsonObject("user").getString("id");
    String access = login.json().getString("access_token");
    assertEquals(200, gateway.http().get("/auth/me", Http.bearer(access)).status());

    ApiResponse changed = client.change(access, "tangerine skyline 42", "marmalade orbit 77");
    assertEquals(200, changed.status(), changed.body());
    assertEquals(1, changed.json().getInteger("revoked"), "the signup's session ends, this one stays");
    assertEquals("session_revoked", gateway.http().get("/auth/me", Http.bearer(firstAccess)).error());
    assertEquals(200, gateway.http().get("/auth/me", Http.bearer(access)).status());
    assertEquals("invalid_credentials", client.login(email, "tangerine skyline 42", null).error());

    ApiResponse requested = client.requestReset(email);
    assertEquals(200, requested.status(), requested.body());
    String resetId = requested.json().getString("reset_id");
    assertEquals(300, requested.json().getInteger("expires_in"));
    ApiResponse reset = client.reset(resetId, receiver.awaitCode(resetId), "quietly humming kettle");
    assertEquals(200, reset.status(), reset.body());
    assertEquals(1, reset.json().getInteger("revoked"));
    assertEquals("session_revoked", gateway.http().get("/auth/me", Http.bearer(access)).error());
    assertEquals("invalid_credentials", client.login(email, "marmalade orbit 77", null).error());
    ApiResponse afterReset = client.login(email, "quietly humming kettle", null);
    assertEquals(200, afterReset.status(), afterReset.body());
    assertEquals(userId, afterReset.json().getJsonObject("user").getString("id"));

    ApiResponse sent = client.post("/auth/send-otp", new JsonObject().put("email", email));
    assertEquals(200, sent.status(), sent.body());
    String otpRequestId = sent.json().getString("otp_request_id");
    ApiResponse otpLogin = client.post("/auth/verify-otp", new JsonObject().put("otp_request_id", otpRequestId)
        .put("otp", receiver.awaitCode(otpRequestId)));
    assertEquals(200, otpLogin.status(), otpLogin.body());
    assertEquals(userId, otpLogin.json().getJsonObject("user").getString("id"));

    for (String type : List.of(AuditEvent.SIGNUP_REQUESTED, AuditEvent.IDENTITY_VERIFIED,
        AuditEvent.PASSWORD_LOGIN_SUCCEEDED, AuditEvent.PASSWORD_LOGIN_FAILED, AuditEvent.PASSWORD_CHANGED,
        AuditEvent.PASSWORD_RESET_REQUESTED, AuditEvent.PASSWORD_RESET_COMPLETED)) {
      Await.until(type, Duration.ofSeconds(5), () -> !audit.of(type, client.appId()).isEmpty());
    }
    String everything = audit.allEncoded();
    for (String secret : List.of("tangerine skyline", "marmalade orbit", "quietly humming", "$argon2id")) {
      assertFalse(everything.contains(secret), "no password or hash in any audit event: " + secret);
    }
    List<String> stored = AuditTrail.types(gateway, java.util.UUID.fromString(client.appId()));
    assertTrue(stored.containsAll(List.of(AuditEvent.SIGNUP_REQUESTED, AuditEvent.IDENTITY_VERIFIED,
        AuditEvent.USER_CREATED, AuditEvent.PASSWORD_LOGIN_SUCCEEDED, AuditEvent.PASSWORD_CHANGED,
        AuditEvent.PASSWORD_RESET_REQUESTED, AuditEvent.PASSWORD_RESET_COMPLETED, AuditEvent.SESSION_REVOKED)),
        "stored: " + stored);
  }

  @Test
  @DisplayName("an identity with an account and one without get the same answers at signup, login and reset, "
      + "and the account's password is not replaced")
  void noEnumeration() {
    PasswordClient client = withoutCooldown("pw-enum");
    String existing = "bo@example.com";
    String verificationId = client.signup(existing, "tangerine skyline 42").json().getString("verification_id");
    assertEquals(200, client.verify(verificationId, receiver.awaitCode(verificationId)).status());

    ApiResponse again = client.signup(existing, "another fine phrase");
    ApiResponse fresh = client.signup("nobody@example.com", "another fine phrase");
    assertEquals(202, again.status(), again.body());
    assertSameShape(fresh, again, "verification_id");
    WebhookReceiver.Call notice = receiver.awaitCall(again.json().getString("verification_id"));
    assertNull(notice.json().getValue("code"), "the account's owner gets a notice, not a code");
    assertTrue(notice.json().getString("message").contains("already has one"));

    ApiResponse wrong = client.login(existing, "not the password", null);
    ApiResponse unknown = client.login("nobody-at-all@example.com", "not the password", null);
    assertEquals(401, wrong.status(), wrong.body());
    assertSameShape(unknown, wrong);
    assertEquals("invalid_credentials", client.login(existing, "another fine phrase", null).error());
    assertEquals(200, client.login(existing, "tangerine skyline 42", null).status());

    ApiResponse realReset = client.requestReset(existing);
    ApiResponse fakeReset = client.requestReset("nobody-at-all@example.com");
    assertEquals(200, realReset.status(), realReset.body());
    assertSameShape(fakeReset, realReset, "reset_id");
    String fakeId = fakeReset.json().getString("reset_id");
    ApiResponse realWrong = client.reset(realReset.json().getString("reset_id"), "000000", "new phrase here");
    ApiResponse fakeWrong = client.reset(fakeId, "000000", "new phrase here");
    assertEquals(401, fakeWrong.status(), fakeWrong.body());
    assertSameShape(fakeWrong, realWrong);
    assertEquals(4, fakeWrong.json().getInteger("attempts_left"), "an unknown reset_id counts attempts like a real one");
    assertTrue(receiver.callsFor(fakeId).isEmpty(), "no code is sent for an identity without an account");
    // ... but one audit write is made before the answer, as for a real one's otp.sent: the timing tells nothing.
    assertTrue(audit.events(AuditEvent.OTP_WITHHELD).stream().anyMatch(event ->
        fakeId.equals(event.getJsonObject("data").getString("otp_request_id"))
            && fakeReset.header("X-Request-Id").equals(event.getString("request_id"))), audit.events(AuditEvent.OTP_WITHHELD).toString());
  }

  @Test
  @DisplayName("a code of an earlier signup never applies a later signup's password: only the latest signup's code "
      + "sets the password")
  void laterSignupKeepsItsPassword() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-replace", new JsonObject()
        .put("otp_resend_cooldown", 0).put("challenge_required", false));
    JsonObject first = new JsonObject().put("email", "lee@example.com").put("password", "first owner phrase")
        .put("client_ip", "198.51.100.1");
    JsonObject second = new JsonObject().put("email", "lee@example.com").put("password", "second comer phrase")
        .put("client_ip", "203.0.113.2");
    String firstId = client.post("/auth/signup", first).json().getString("verification_id");
    String firstCode = receiver.awaitCode(firstId);
    String secondId = client.post("/auth/signup", second).json().getString("verification_id");
    String secondCode = receiver.awaitCode(secondId);

    ApiResponse early = client.verify(firstId, firstCode);
    if (early.status() == 200) {
      // a store that keeps both codes alive: the first code verifies the identity but sets no password
      assertEquals("invalid_credentials", client.login("lee@example.com", "second comer phrase", null).error());
      assertEquals("invalid_credentials", client.login("lee@example.com", "first owner phrase", null).error());
    } else {
      assertEquals("otp_expired", early.error(), "the later signup replaced the first code");
      assertEquals(200, client.verify(secondId, secondCode).status());
      assertEquals(200, client.login("lee@example.com", "second comer phrase", null).status());
    }
  }

  @Test
  @DisplayName("a user without a password (made by a code login) gets the same 401 invalid_credentials")
  void userWithoutPassword() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-nopass", new JsonObject());
    ApiResponse sent = client.post("/auth/send-otp", new JsonObject().put("email", "cy@example.com"));
    String id = sent.json().getString("otp_request_id");
    assertEquals(200, client.post("/auth/verify-otp", new JsonObject().put("otp_request_id", id)
        .put("otp", receiver.awaitCode(id))).status());
    ApiResponse login = client.login("cy@example.com", "any password at all", null);
    assertEquals(401, login.status(), login.body());
    assertEquals("invalid_credentials", login.error());
    // h71: spaces were "is required", no-break spaces a full check and 401; both are no password
    for (String blank : List.of(" ".repeat(9), "\u00A0".repeat(9), "\u202F".repeat(9))) {
      ApiResponse spaces = client.login("cy@example.com", blank, null);
      assertEquals("password: is required", spaces.json().getString("message"), spaces.body());
    }
  }

  @Test
  @DisplayName("a 100-character password is kept whole: the same one differing at character 80 is refused")
  void noTruncation() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-long", new JsonObject());
    String password = "abcdefghij".repeat(10);
    char[] other = password.toCharArray();
    other[79] = 'Z';
    String verificationId = client.signup("dee@example.com", password).json().getString("verification_id");
    assertEquals(200, client.verify(verificationId, receiver.awaitCode(verificationId)).status());
    ApiResponse differing = client.login("dee@example.com", new String(other), null);
    assertEquals(401, differing.status(), differing.body());
    assertEquals("invalid_credentials", differing.error());
    assertEquals(200, client.login("dee@example.com", password, null).status());
  }

  @Test
  @DisplayName("a weak password is 400 weak_password with its reasons, before any code is sent")
  void weakPassword() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-weak",
        new JsonObject().put("password_require_classes", true).put("password_min_length", 10));
    ApiResponse weak = client.signup("eve@example.com", "password");
    assertEquals(400, weak.status(), weak.body());
    assertEquals("weak_password", weak.error());
    assertEquals(List.of("too_short", "common", "missing_classes"), weak.json().getJsonArray("reasons").getList());
    ApiResponse mine = client.signup("evelyn.smith@example.com", "Evelyn.Smith#2024");
    assertEquals(List.of("contains_identity"), mine.json().getJsonArray("reasons").getList());
    assertEquals(202, client.signup("eve@example.com", "Marmalade-0rbit!").status());
  }

  @Test
  @DisplayName("an app that requires its terms refuses a signup without terms_accepted and stores when they were accepted")
  void terms() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-terms",
        new JsonObject().put("require_terms_acceptance", true).put("challenge_required", false));
    JsonObject body = new JsonObject().put("email", "fay@example.com").put("password", "tangerine skyline 42");
    ApiResponse refused = client.post("/auth/signup", body.copy());
    assertEquals(400, refused.status(), refused.body());
    assertEquals("invalid_request", refused.error());
    assertTrue(refused.json().getString("message").startsWith("terms_accepted"));
    // A sign-up's profile is held to the admin API's rules: what it stores, every answer of the user must hold.
    for (JsonObject bad : List.of(new JsonObject().put("dob", "notadate"), new JsonObject().put("name", "n".repeat(201)),
        new JsonObject().put("gender", "g".repeat(51)))) {
      ApiResponse badProfile = client.post("/auth/signup", body.copy().put("terms_accepted", true).put("profile", bad));
      assertEquals(400, badProfile.status(), badProfile.body());
      assertTrue(badProfile.json().getString("message").startsWith("profile."), badProfile.body());
    }
    ApiResponse accepted = client.post("/auth/signup", body.copy().put("terms_accepted", true)
        .put("profile", new JsonObject().put("name", "Fay")));
    assertEquals(202, accepted.status(), accepted.body());
    String id = accepted.json().getString("verification_id");
    assertEquals(200, client.verify(id, receiver.awaitCode(id)).status());
    assertNotNull(column(client.appId(), "fay@example.com", "terms_accepted_at"));
    assertTrue(column(client.appId(), "fay@example.com", "profile").contains("Fay"));
  }

  @Test
  @DisplayName("identity_not_verified and user_disabled are answered only after a correct password")
  void onlyAfterCorrectPassword() throws Exception {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-states", new JsonObject().put("challenge_required", false));
    String hash = Argon2id.DEFAULT.hash("tangerine skyline 42");
    insertUser(client.appId(), "gus@example.com", hash, false, false);
    insertUser(client.appId(), "hal@example.com", hash, true, true);
    assertEquals("invalid_credentials", client.login("gus@example.com", "wrong password here", null).error());
    ApiResponse unverified = client.login("gus@example.com", "tangerine skyline 42", null);
    assertEquals(403, unverified.status(), unverified.body());
    assertEquals("identity_not_verified", unverified.error());
    assertEquals("invalid_credentials", client.login("hal@example.com", "wrong password here", null).error());
    ApiResponse disabled = client.login("hal@example.com", "tangerine skyline 42", null);
    assertEquals(403, disabled.status(), disabled.body());
    assertEquals("user_disabled", disabled.error());

    ApiResponse resent = client.post("/auth/resend-verification", new JsonObject().put("email", "gus@example.com"));
    assertEquals(200, resent.status(), resent.body());
    String id = resent.json().getString("verification_id");
    assertTrue(audit.events(AuditEvent.OTP_SENT, id).stream().anyMatch(event ->
            resent.header("X-Request-Id").equals(event.getString("request_id"))
                && "signup".equals(event.getJsonObject("data").getString("purpose"))),
        "the code sent is audited with its request's id: " + audit.events(AuditEvent.OTP_SENT));
    ApiResponse verified = client.verify(id, receiver.awaitCode(id));
    assertEquals(200, verified.status(), verified.body());
    assertEquals(false, verified.json().getBoolean("new_user"));
    assertEquals(200, client.login("gus@example.com", "tangerine skyline 42", null).status());
    ApiResponse unknown = client.post("/auth/resend-verification", new JsonObject().put("email", "ivy@example.com"));
    assertEquals(200, unknown.status(), unknown.body());
    assertSameShape(unknown, resent, "verification_id");
  }

  @Test
  @DisplayName("a signup moved on by a resend (anyone may ask one) leaves its first code expired, never a user without "
      + "the password; the newest code makes the user with it")
  void supersededSignupCode() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-moved", new JsonObject()
        .put("challenge_required", false).put("otp_resend_cooldown", 0));
    ApiResponse signup = client.signup("lia@example.com", "tangerine skyline 42");
    assertEquals(202, signup.status(), signup.body());
    String first = signup.json().getString("verification_id");
    String firstCode = receiver.awaitCode(first);
    ApiResponse resent = client.post("/auth/resend-verification", new JsonObject().put("email", "lia@example.com")
        .put("client_ip", "198.51.100.77"));
    assertEquals(200, resent.status(), resent.body());
    String second = resent.json().getString("verification_id");

    ApiResponse old = client.verify(first, firstCode);
    assertEquals(401, old.status(), old.body());
    assertEquals("otp_expired", old.error());
    ApiResponse users = gateway.http().get("/v1/apps/" + client.appId() + "/users?q=lia%40example.com",
        Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(0, users.json().getJsonArray("users").size(), "no user without the password: " + users.body());

    ApiResponse verified = client.verify(second, receiver.awaitCode(second));
    assertEquals(200, verified.status(), verified.body());
    assertEquals(true, verified.json().getBoolean("new_user"));
    assertEquals(200, client.login("lia@example.com", "tangerine skyline 42", null).status(), "the password came along");
  }

  @Test
  @DisplayName("a signup verified naming a tenant is 403 and makes no user; a resend and a verify without it then do")
  void signupVerifiedIntoATenant() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-tenant", new JsonObject()
        .put("challenge_required", false).put("otp_resend_cooldown", 0));
    String first = client.signup("tia@example.com", "tangerine skyline 42").json().getString("verification_id");
    ApiResponse refused = client.post("/auth/verify", new JsonObject().put("verification_id", first)
        .put("code", receiver.awaitCode(first)).put("tenant_id", java.util.UUID.randomUUID().toString()));
    assertEquals(403, refused.status(), refused.body());
    assertEquals("forbidden", refused.error());
    ApiResponse users = gateway.http().get("/v1/apps/" + client.appId() + "/users?q=tia%40example.com",
        Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(0, users.json().getJsonArray("users").size(), "no user for a verification that could not go on");
    String again = client.post("/auth/resend-verification", new JsonObject().put("email", "tia@example.com"))
        .json().getString("verification_id");
    ApiResponse verified = client.verify(again, receiver.awaitCode(again));
    assertEquals(200, verified.status(), verified.body());
    assertEquals(true, verified.json().getBoolean("new_user"));
    assertEquals(200, client.login("tia@example.com", "tangerine skyline 42", null).status());
  }

  @Test
  @DisplayName("a pending signup an earlier release wrote (no contested mark) counts as contested: a resend by email "
      + "sends nothing, a resend of its verification id still does")
  void earlierReleasesPendingSignupCountsAsContested() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-legacy-pending", new JsonObject()
        .put("challenge_required", false).put("otp_resend_cooldown", 0));
    String byEmail = client.post("/auth/resend-verification", new JsonObject()
        .put("email", legacyPendingSignup(client, "old@example.com"))).json().getString("verification_id");
    dev.portcullis.testing.Await.until("the resend by email withheld", java.time.Duration.ofSeconds(5),
        () -> !audit.events(AuditEvent.OTP_WITHHELD, byEmail).isEmpty());

    PasswordClient other = PasswordClient.forNewApp(gateway, "pw-legacy-pending-id", new JsonObject()
        .put("challenge_required", false).put("otp_resend_cooldown", 0));
    String verificationId = other.post("/auth/signup", new JsonObject().put("email", "older@example.com")
        .put("password", "pending pass phrase 33")).json().getString("verification_id");
    legacyPendingSignup(other, "older@example.com");
    ApiResponse resent = other.post("/auth/resend-verification", new JsonObject().put("verification_id", verificationId));
    assertEquals(200, resent.status(), resent.body());
    String byId = resent.json().getString("verification_id");
    assertEquals(200, other.verify(byId, receiver.awaitCode(byId)).status(), "its own verification id still works");
    assertEquals(200, other.login("older@example.com", "pending pass phrase 33", null).status());
  }

  /** The identity's pending signup (made now if there is none) as an earlier release wrote it: no contested mark. */
  private static String legacyPendingSignup(PasswordClient client, String email) {
    String key = gateway.redisPrefix() + "pw-signup:{" + client.appId() + "}:";
    List<String> rewritten = new ArrayList<>();
    if (gateway.redis(io.vertx.redis.client.Command.KEYS, key + "*").size() == 0) {
      assertEquals(202, client.post("/auth/signup", new JsonObject().put("email", email)
          .put("password", "pending pass phrase 33")).status());
    }
    for (io.vertx.redis.client.Response found : gateway.redis(io.vertx.redis.client.Command.KEYS, key + "*")) {
      JsonObject legacy = new JsonObject(gateway.redis(io.vertx.redis.client.Command.GET, found.toString()).toString());
      if (!legacy.containsKey("password_hash")) {
        continue;
      }
      legacy.remove("contested");
      gateway.redis(io.vertx.redis.client.Command.SET, found.toString(), legacy.encode(), "KEEPTTL");
      rewritten.add(found.toString());
    }
    assertEquals(1, rewritten.size(), "one pending signup rewritten: " + rewritten);
    return email;
  }

  @Test
  @DisplayName("a stranger's signup never reaches the owner's account: no resend carries a replacing signup, and a "
      + "pending password does not land on a user made meanwhile")
  void strangersPasswordNeverApplies() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-stranger", new JsonObject()
        .put("challenge_required", false).put("otp_resend_cooldown", 0));
    ApiResponse victim = client.post("/auth/signup", new JsonObject().put("email", "max@example.com")
        .put("password", "victim pass phrase 11").put("client_ip", "198.51.100.1"));
    String first = victim.json().getString("verification_id");
    assertEquals(202, client.post("/auth/signup", new JsonObject().put("email", "max@example.com")
        .put("password", "attacker pass phrase 22").put("client_ip", "203.0.113.9")).status());
    ApiResponse resent = client.post("/auth/resend-verification", new JsonObject().put("verification_id", first));
    assertEquals(200, resent.status(), "the same answer as for anyone: " + resent.body());
    String withheld = resent.json().getString("verification_id");
    dev.portcullis.testing.Await.until("the resend of the replaced signup withheld", java.time.Duration.ofSeconds(5),
        () -> !audit.events(AuditEvent.OTP_WITHHELD, withheld).isEmpty());
    assertTrue(audit.events(AuditEvent.OTP_SENT, withheld).isEmpty(), "no code carries the stranger's password");
    ApiResponse byEmail = client.post("/auth/resend-verification", new JsonObject().put("email", "max@example.com")
        .put("client_ip", "198.51.100.1"));
    assertEquals(200, byEmail.status(), byEmail.body());
    String alsoWithheld = byEmail.json().getString("verification_id");
    dev.portcullis.testing.Await.until("the resend by email of a contested signup withheld",
        java.time.Duration.ofSeconds(5), () -> !audit.events(AuditEvent.OTP_WITHHELD, alsoWithheld).isEmpty());
    ApiResponse again = client.post("/auth/signup", new JsonObject().put("email", "max@example.com")
        .put("password", "victim pass phrase 11").put("client_ip", "198.51.100.1"));
    String own = again.json().getString("verification_id");
    assertEquals(200, client.verify(own, receiver.awaitCode(own)).status(), "signing up again is the way back");
    assertEquals(200, client.login("max@example.com", "victim pass phrase 11", null).status());

    assertEquals(202, client.post("/auth/signup", new JsonObject().put("email", "ned@example.com")
        .put("password", "attacker pass phrase 22").put("client_ip", "203.0.113.9")).status());
    assertEquals(201, gateway.http().post("/v1/apps/" + client.appId() + "/users",
        new JsonObject().put("email", "ned@example.com"), Http.bearer(TestGateway.ADMIN_KEY)).status());
    String id = client.post("/auth/resend-verification", new JsonObject().put("email", "ned@example.com"))
        .json().getString("verification_id");
    ApiResponse verified = client.verify(id, receiver.awaitCode(id));
    assertEquals(200, verified.status(), verified.body());
    assertEquals(false, verified.json().getBoolean("new_user"));
    assertEquals("invalid_credentials", client.login("ned@example.com", "attacker pass phrase 22", null).error(),
        "the stranger's pending password did not land on the user the admin made");
  }

  @Test
  @DisplayName("a password change by a user whose phone was stored before today's number rules (+441234, dialable "
      + "only in its area) works: a stored identity is not judged again (h77: 400 naming phone)")
  void changeWithAPhoneStoredUnderOlderRules() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-old-phone", new JsonObject()
        .put("challenge_required", false).put("require_verified_identity", false));
    ApiResponse created = gateway.http().post("/v1/apps/" + client.appId() + "/users", new JsonObject()
        .put("phone", "+44 7911 123456").put("password", "tangerine skyline 42"), Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(201, created.status(), created.body());
    ApiResponse login = client.post("/auth/login", new JsonObject().put("phone", "+447911123456")
        .put("password", "tangerine skyline 42"));
    assertEquals(200, login.status(), login.body());
    try (java.sql.Connection db = gateway.jdbc(); java.sql.Statement update = db.createStatement()) {
      update.executeUpdate("UPDATE users SET phone = '+441234' WHERE app_id = '" + client.appId() + "'");
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    ApiResponse changed = client.change(login.json().getString("access_token"), "tangerine skyline 42",
        "clementine harbour 77");
    assertEquals(200, changed.status(), changed.body());
  }

  @Test
  @DisplayName("a user an admin creates with a password is refused as unverified after the right password until a "
      + "code verifies it; once disabled it is refused as disabled, again only after the right password")
  void adminCreatedUser() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-admin", new JsonObject().put("challenge_required", false));
    String users = "/v1/apps/" + client.appId() + "/users";
    ApiResponse weak = gateway.http().post(users, new JsonObject().put("email", "kit@example.com")
        .put("password", "password1"), Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(400, weak.status(), weak.body());
    assertEquals("weak_password", weak.error());
    ApiResponse created = gateway.http().post(users, new JsonObject().put("email", "kit@example.com")
        .put("password", "tangerine skyline 42"), Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(201, created.status(), created.body());
    JsonObject user = created.json().containsKey("user") ? created.json().getJsonObject("user") : created.json();
    assertEquals(true, user.getBoolean("has_password"));
    assertTrue(passwordHash(client.appId(), "kit@example.com").startsWith("$argon2id$v=19$m=19456,t=2,p=1$"));

    assertEquals("invalid_credentials", client.login("kit@example.com", "wrong password here", null).error());
    assertEquals("identity_not_verified", client.login("kit@example.com", "tangerine skyline 42", null).error());
    ApiResponse resent = client.post("/auth/resend-verification", new JsonObject().put("email", "kit@example.com"));
    assertEquals(200, resent.status(), resent.body());
    String id = resent.json().getString("verification_id");
    ApiResponse verified = client.verify(id, receiver.awaitCode(id));
    assertEquals(200, verified.status(), verified.body());
    assertEquals(false, verified.json().getBoolean("new_user"));
    assertEquals(200, client.login("kit@example.com", "tangerine skyline 42", null).status());

    ApiResponse disabled = gateway.http().patch(users + "/" + user.getString("id"),
        new JsonObject().put("disabled", true), Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(200, disabled.status(), disabled.body());
    assertEquals("invalid_credentials", client.login("kit@example.com", "wrong password here", null).error());
    assertEquals("user_disabled", client.login("kit@example.com", "tangerine skyline 42", null).error());
  }

  @Test
  @DisplayName("a hash made under older parameters is replaced at the next login, which records the login time")
  void rehashAtLogin() throws Exception {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-rehash", new JsonObject().put("challenge_required", false));
    insertUser(client.appId(), "jo@example.com", new Argon2id(8 * 1024, 1, 1).hash("tangerine skyline 42"), true, false);
    assertNull(column(client.appId(), "jo@example.com", "last_login_at"));
    assertEquals(200, client.login("jo@example.com", "tangerine skyline 42", null).status());
    assertTrue(passwordHash(client.appId(), "jo@example.com").startsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
    assertNotNull(column(client.appId(), "jo@example.com", "last_login_at"));
  }

  /** Same status, same error and message, same fields; values equal but for the named random ids. */
  private static void assertSameShape(ApiResponse expected, ApiResponse actual, String... randomFields) {
    assertEquals(expected.status(), actual.status(), actual.body());
    JsonObject a = expected.json();
    JsonObject b = actual.json();
    assertEquals(a.fieldNames(), b.fieldNames());
    for (String field : a.fieldNames()) {
      if (!List.of(randomFields).contains(field)) {
        assertEquals(a.getValue(field), b.getValue(field), field);
      }
    }
  }

  @Test
  @DisplayName("a reset's code leaves at a random moment after the answer, so no request timed against the answer "
      + "meets its delivery's work at a known moment (h96: one 100 ms after it told accounts from strangers)")
  void resetCodeLeavesUnseen() {
    PasswordClient client = withoutCooldown("pw-unseen");
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String email = "unseen-" + i + "@example.com";
      assertNotNull(signedUp(client, email));
      long asked = System.nanoTime();
      ApiResponse requested = client.requestReset(email);
      assertEquals(200, requested.status(), requested.body());
      receiver.awaitCode(requested.json().getString("reset_id"));
      delays.add((System.nanoTime() - asked) / 1_000_000);
    }
    long spread = java.util.Collections.max(delays) - java.util.Collections.min(delays);
    // Uniform over half a second: eight draws all within 50 ms of each other come about once in a million runs.
    assertTrue(spread >= 50, "delivered " + delays + " ms after the request");
  }

  @Test
  @DisplayName("a login whose password is reset or changed between its check and its session ends with no session: "
      + "401 invalid_credentials")
  void passwordChangedDuringLogin() throws Exception {
    // A reset commits its new password (and then revokes every session) while the login is issuing its session.
    LoginMeanwhile race = loginWhileStoring("pw-race", "'reset-meanwhile', password_generation = password_generation + 1");
    assertEquals(401, race.login().status(), race.login().body());
    assertEquals("invalid_credentials", race.login().error());
    assertEquals(race.sessionsBefore(), race.sessionsAfter(), "the login's session was revoked");
    // Audited as the failed login it is, not as a success (h95).
    Await.until("the failed login", Duration.ofSeconds(5),
        () -> !audit.of(AuditEvent.PASSWORD_LOGIN_FAILED, race.appId()).isEmpty());
    assertEquals("changed_meanwhile", audit.of(AuditEvent.PASSWORD_LOGIN_FAILED, race.appId()).get(0)
        .getJsonObject("data").getString("reason"));
    assertEquals(List.of(), audit.of(AuditEvent.PASSWORD_LOGIN_SUCCEEDED, race.appId()));
  }

  @Test
  @DisplayName("a login during which another login rehashed the same password keeps its session (compared with the "
      + "hash, the rehash read as a changed password: 401)")
  void passwordRehashedDuringLogin() throws Exception {
    LoginMeanwhile race = loginWhileStoring("pw-rehash-race",
        "'" + new Argon2id(1024, 1, 1).hash("tangerine skyline 42") + "'");
    assertEquals(200, race.login().status(), race.login().body());
    assertEquals(String.valueOf(Long.parseLong(race.sessionsBefore()) + 1), race.sessionsAfter());
  }

  /** A login's answer, and its user's live sessions before and after it. */
  private record LoginMeanwhile(String appId, ApiResponse login, String sessionsBefore, String sessionsAfter) {
  }

  /**
   * A signed-up user of a new app logs in while its users row is updated with {@code SET password_hash =
   * <assignment>}, as the login issues its session.
   */
  private static LoginMeanwhile loginWhileStoring(String slug, String assignment) {
    PasswordClient client = withoutCooldown(slug);
    String email = slug + "@example.com";
    assertNotNull(signedUp(client, email));
    String before = liveSessions(client, email);
    ApiResponse login = loginWhileStoring(client, email, assignment);
    return new LoginMeanwhile(client.appId(), login, before, liveSessions(client, email));
  }

  private static ApiResponse loginWhileStoring(PasswordClient client, String email, String assignment) {
    io.vertx.core.Handler<io.vertx.core.eventbus.DeliveryContext<Object>> storeMeanwhile = delivery -> {
      if (dev.portcullis.core.Bus.TOKEN_ISSUE.name().equals(delivery.message().address())) {
        scalar("UPDATE users SET password_hash = " + assignment + " WHERE app_id = ?::uuid AND email = ? "
            + "RETURNING id::text", client.appId(), email);
      }
      delivery.next();
    };
    gateway.vertx().eventBus().addOutboundInterceptor(storeMeanwhile);
    try {
      return client.login(email, "tangerine skyline 42", null);
    } finally {
      gateway.vertx().eventBus().removeOutboundInterceptor(storeMeanwhile);
    }
  }

  /** A client of a new app whose codes may be sent again at once. */
  private static PasswordClient withoutCooldown(String slug) {
    return PasswordClient.forNewApp(gateway, slug, new JsonObject().put("otp_resend_cooldown", 0));
  }

  private static String liveSessions(PasswordClient client, String email) {
    return scalar("SELECT count(*)::text FROM sessions s JOIN users u ON u.id = s.user_id "
        + "WHERE u.app_id = ?::uuid AND u.email = ? AND s.revoked_at IS NULL", client.appId(), email);
  }

  @Test
  @DisplayName("a change or reset whose revocation fails (the user's sessions held locked) stores no password: the same "
      + "change sent again works and ends the other session, a new reset code ends them all")
  void revocationFailureChangesNothing() throws Exception {
    PasswordClient client = withoutCooldown("pw-revoke-fails");
    String email = "locked@example.com";
    String other = signedUp(client, email);
    String access = client.login(email, "tangerine skyline 42", null).json().getString("access_token");
    String hash = passwordHash(client.appId(), email);

    ApiResponse change = whileSessionsLocked(client.appId(), email,
        () -> client.change(access, "tangerine skyline 42", "marmalade orbit 77"));
    assertEquals(503, change.status(), change.body());
    assertEquals(hash, passwordHash(client.appId(), email), "no password stored while its sessions stay live");
    ApiResponse again = client.change(access, "tangerine skyline 42", "marmalade orbit 77");
    assertEquals(200, again.status(), again.body());
    // 1, or 0 when the failed attempt's revocation, let go of by its 503, still went through once the lock went.
    assertTrue(again.json().getInteger("revoked") <= 1, again.body());
    assertEquals("session_revoked", gateway.http().get("/auth/me", Http.bearer(other)).error());

    String changed = passwordHash(client.appId(), email);
    String firstReset = client.requestReset(email).json().getString("reset_id");
    ApiResponse reset = whileSessionsLocked(client.appId(), email,
        () -> client.reset(firstReset, receiver.awaitCode(firstReset), "quietly humming kettle"));
    assertEquals(503, reset.status(), reset.body());
    assertEquals(changed, passwordHash(client.appId(), email));
    // The session may be revoked already: the failed reset's revocation, let go of by its 503, can still go through
    // once the lock goes (as the change's above), which a loaded machine showed.
    String secondReset = client.requestReset(email).json().getString("reset_id");
    ApiResponse retried = client.reset(secondReset, receiver.awaitCode(secondReset), "quietly humming kettle");
    assertEquals(200, retried.status(), retried.body());
    assertEquals("session_revoked", gateway.http().get("/auth/me", Http.bearer(access)).error());
  }

  @Test
  @DisplayName("a reset code of a user disabled after asking for it answers as an expired code and is spent: the "
      + "password, the unverified identity and the lock-out stay, and the refusal, not a reset, is recorded")
  void resetOfDisabledUserRefused() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "pw-reset-disabled", new JsonObject()
        .put("otp_resend_cooldown", 0).put("password_max_failures", 3).put("pow_max_difficulty", 0));
    String email = "disabled-later@example.com";
    ApiResponse created = gateway.http().post("/v1/apps/" + client.appId() + "/users",
        new JsonObject().put("email", email).put("password", "tangerine skyline 42"),
        Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(201, created.status(), created.body());
    String userId = created.json().getString("id");
    for (int i = 0; i < 3; i++) {
      assertEquals("invalid_credentials", client.login(email, "wrong password " + i, null).error());
    }
    assertEquals("rate_limited", client.login(email, "tangerine skyline 42", null).error());
    String hash = passwordHash(client.appId(), email);
    String resetId = client.requestReset(email).json().getString("reset_id");
    String code = receiver.awaitCode(resetId);
    ApiResponse disabled = gateway.http().patch("/v1/apps/" + client.appId() + "/users/" + userId,
        new JsonObject().put("disabled", true), Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(200, disabled.status(), disabled.body());

    ApiResponse reset = client.reset(resetId, code, "quietly humming kettle");
    assertEquals(401, reset.status(), reset.body());
    assertEquals("otp_expired", reset.error(), "as an expired code: no word of the user being disabled");
    assertEquals(hash, passwordHash(client.appId(), email), "the password stays");
    assertFalse(emailVerified(client.appId(), email), "the identity is not verified by the refused reset");
    assertEquals("rate_limited", client.login(email, "tangerine skyline 42", null).error(), "the lock-out stays");
    assertEquals("otp_expired", client.reset(resetId, code, "quietly humming kettle").error());

    List<JsonObject> stored = AuditTrail.rows(gateway, java.util.UUID.fromString(client.appId()));
    assertTrue(stored.stream().noneMatch(row -> AuditEvent.PASSWORD_RESET_COMPLETED.equals(row.getString("type"))),
        stored.toString());
    List<String> reasons = stored.stream()
        .filter(row -> AuditEvent.OTP_FAILED.equals(row.getString("type"))
            && resetId.equals(row.getJsonObject("data").getString("otp_request_id")))
        .map(row -> row.getJsonObject("data").getString("reason"))
        .toList();
    assertEquals(List.of("user_disabled", "expired"), reasons, "refused once, then spent: " + stored);
    JsonObject refused = stored.stream()
        .filter(row -> AuditEvent.OTP_FAILED.equals(row.getString("type"))
            && "user_disabled".equals(row.getJsonObject("data").getString("reason")))
        .findFirst().orElseThrow();
    assertEquals(userId, refused.getString("user_id"));
    assertEquals("reset", refused.getJsonObject("data").getString("purpose"));
  }

  @Test
  @DisplayName("a reset whose user is disabled while it runs (the disable holding the user's row as the new password "
      + "is stored) stores nothing and answers as an expired code")
  void resetRacingADisableRefused() throws Exception {
    PasswordClient client = withoutCooldown("pw-reset-disable-race");
    String email = "disabled-meanwhile@example.com";
    assertNotNull(signedUp(client, email));
    String hash = passwordHash(client.appId(), email);
    String resetId = client.requestReset(email).json().getString("reset_id");
    String code = receiver.awaitCode(resetId);

    ApiResponse reset;
    try (Connection connection = gateway.jdbc(); PreparedStatement disable = connection.prepareStatement(
        "UPDATE users SET disabled = true WHERE app_id = ?::uuid AND email = ?")) {
      connection.setAutoCommit(false);
      disable.setString(1, client.appId());
      disable.setString(2, email);
      assertEquals(1, disable.executeUpdate());
      java.util.concurrent.CompletableFuture<ApiResponse> pending = client.postAsync("/auth/reset-password",
          new JsonObject().put("reset_id", resetId).put("code", code).put("new_password", "quietly humming kettle"));
      // The reset read the user enabled (the disable is not committed yet); its write waits for the disable's lock.
      Await.until("the reset's write waiting for the disable", Duration.ofSeconds(20), () -> pending.isDone()
          || gateway.count("SELECT count(*) FROM pg_stat_activity WHERE "
              + "datname = current_database() AND wait_event_type = 'Lock' "
              + "AND query LIKE 'UPDATE users SET password_hash%'") > 0);
      connection.commit();
      reset = pending.get(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertEquals(401, reset.status(), reset.body());
    assertEquals("otp_expired", reset.error());
    assertEquals(hash, passwordHash(client.appId(), email), "the disabled user's password stays");
    assertTrue(audit.of(AuditEvent.PASSWORD_RESET_COMPLETED, client.appId()).isEmpty());
    assertEquals(List.of("user_disabled"), audit.events(AuditEvent.OTP_FAILED, resetId).stream()
        .map(event -> event.getJsonObject("data").getString("reason")).toList());
  }

  @Test
  @DisplayName("two changes at once from two sessions: one wins and keeps its session, the other is 409 and revokes "
      + "nothing")
  void concurrentChangesKeepTheWinnersSession() throws Exception {
    PasswordClient client = withoutCooldown("pw-two-changes");
    String email = "twice@example.com";
    String third = signedUp(client, email);
    for (int round = 0; round < 3; round++) {
      String current = round == 0 ? "tangerine skyline 42" : "winner number " + (round - 1) + " password";
      String first = client.login(email, current, null).json().getString("access_token");
      String second = client.login(email, current, null).json().getString("access_token");
      String next = "winner number " + round + " password";
      java.util.concurrent.CompletableFuture<ApiResponse> one = java.util.concurrent.CompletableFuture.supplyAsync(
          () -> client.change(first, current, next));
      java.util.concurrent.CompletableFuture<ApiResponse> two = java.util.concurrent.CompletableFuture.supplyAsync(
          () -> client.change(second, current, next));
      ApiResponse a = one.get(30, java.util.concurrent.TimeUnit.SECONDS);
      ApiResponse b = two.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(java.util.Set.of(200, 409), java.util.Set.of(a.status(), b.status()), a + " / " + b);
      String winner = a.status() == 200 ? first : second;
      String loser = a.status() == 200 ? second : first;
      assertEquals(200, gateway.http().get("/auth/me", Http.bearer(winner)).status(), "the winner keeps its session");
      assertEquals("session_revoked", gateway.http().get("/auth/me", Http.bearer(loser)).error());
      assertEquals("session_revoked", gateway.http().get("/auth/me", Http.bearer(third)).error());
      third = winner;
    }
  }

  /** Signs a new user up with "tangerine skyline 42" and verifies it: the access token of the signup's session. */
  private static String signedUp(PasswordClient client, String email) {
    String verificationId = client.signup(email, "tangerine skyline 42").json().getString("verification_id");
    return client.verify(verificationId, receiver.awaitCode(verificationId)).json().getString("access_token");
  }

  private static ApiResponse whileSessionsLocked(String appId, String email,
                                                 java.util.function.Supplier<ApiResponse> request) throws Exception {
    try (Connection connection = gateway.jdbc(); PreparedStatement lock = connection.prepareStatement(
        "SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.app_id = ?::uuid AND u.email = ? "
            + "FOR UPDATE OF s")) {
      connection.setAutoCommit(false);
      lock.setString(1, appId);
      lock.setString(2, email);
      lock.executeQuery().close();
      try {
        return request.get();
      } finally {
        connection.rollback();
      }
    }
  }

  private static String scalar(String sql, String appId, String email) {
    try (Connection connection = gateway.jdbc(); PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, appId);
      query.setString(2, email);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() ? rows.getString(1) : null;
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @DisplayName("a reset whose write outlives the request's deadline is answered 503 and changes no password (h98: "
      + "the password changed after the 503, with no reset_completed event)")
  void slowResetRolledBack() throws Exception {
    PasswordClient client = withoutCooldown("pw-reset-slow");
    String email = "slow-reset@example.com";
    ApiResponse created = gateway.http().post("/v1/apps/" + client.appId() + "/users",
        new JsonObject().put("email", email).put("password", "tangerine skyline 42"),
        Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(201, created.status(), created.body());
    String hash = passwordHash(client.appId(), email);
    String resetId = client.requestReset(email).json().getString("reset_id");
    String code = receiver.awaitCode(resetId);
    try (SlowPasswordWrite slow = new SlowPasswordWrite(email)) {
      ApiResponse reset = client.reset(resetId, code, "quietly humming kettle");
      assertEquals(503, reset.status(), reset.body());
      slow.awaitOver();
    }
    assertEquals(hash, passwordHash(client.appId(), email), "answered 503, the password stays");
  }

  @Test
  @DisplayName("a verification whose password write outlives the request's deadline is answered 503 and makes no "
      + "user: the identity can sign up again (the user was made, without its password, in a statement of its own)")
  void slowSignupMakesNoUser() throws Exception {
    PasswordClient client = withoutCooldown("pw-signup-slow");
    String email = "slow-signup@example.com";
    String verificationId = client.signup(email, "tangerine skyline 42").json().getString("verification_id");
    String code = receiver.awaitCode(verificationId);
    try (SlowPasswordWrite slow = new SlowPasswordWrite(email)) {
      ApiResponse verified = client.verify(verificationId, code);
      assertEquals(503, verified.status(), verified.body());
      slow.awaitOver();
    }
    assertEquals(0, gateway.count("SELECT count(*) FROM users WHERE app_id = '" + client.appId()
        + "' AND email = '" + email + "'"), "answered 503, no user");
    String again = client.signup(email, "marmalade orbit 77").json().getString("verification_id");
    ApiResponse verified = client.verify(again, receiver.awaitCode(again));
    assertEquals(200, verified.status(), verified.body());
    assertEquals(true, verified.json().getBoolean("new_user"));
    assertEquals(200, client.login(email, "marmalade orbit 77", null).status());
  }

  /**
   * A trigger of the test's own that holds every write of a password to the identity's user for two backend
   * timeouts and a second; dropped when closed.
   */
  private static final class SlowPasswordWrite implements AutoCloseable {

    private final long seconds = 2 * gateway.config().backendTimeoutMs() / 1000 + 1;
    private final SlowTrigger trigger;

    SlowPasswordWrite(String email) throws java.sql.SQLException {
      trigger = new SlowTrigger(gateway, "users", "BEFORE UPDATE OF password_hash ON users FOR EACH ROW "
          + "WHEN (NEW.email = '" + email + "')", seconds * 1000);
    }

    /** Polls until no statement of the gateway's on the users' passwords runs any more. */
    void awaitOver() {
      Await.until("the slowed statement is over", Duration.ofSeconds(seconds + 10),
          () -> gateway.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
              + "AND pid <> pg_backend_pid() AND state <> 'idle' AND query ILIKE '%password_hash%'") == 0);
    }

    @Override
    public void close() throws java.sql.SQLException {
      trigger.close();
    }
  }

  private static String passwordHash(String appId, String email) {
    return column(appId, email, "password_hash");
  }

  private static boolean emailVerified(String appId, String email) {
    return "true".equals(column(appId, email, "email_verified"));
  }

  private static String column(String appId, String email, String column) {
    return scalar("SELECT " + column + "::text FROM users WHERE app_id = ?::uuid AND email = ?", appId, email);
  }

  private static void insertUser(String appId, String email, String hash, boolean verified, boolean disabled)
      throws Exception {
    String sql = "INSERT INTO users (id, app_id, email, password_hash, email_verified, disabled) "
        + "VALUES (gen_random_uuid(), ?::uuid, ?, ?, ?, ?)";
    try (Connection connection = gateway.jdbc(); PreparedStatement insert = connection.prepareStatement(sql)) {
      insert.setString(1, appId);
      insert.setString(2, email);
      insert.setString(3, hash);
      insert.setBoolean(4, verified);
      insert.setBoolean(5, disabled);
      insert.executeUpdate();
    }
  }
}
