package dev.portcullis.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.app.App;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditTrail;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every auth event of API.md's audit list, caused over HTTP and read back from {@code audit_events} in the real
 * Postgres: stored under the right app, with the request's X-Request-Id, the client_ip where one applies, the
 * user where one is known, no secret, code, token or full address in its data, and on a chain that verifies.
 */
@DisplayName("End to end: every auth event is a stored audit row of its app and its request")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditEventsEndToEndTest {

  /** The end user's IP as the client backend reports it. */
  private static final String END_USER_IP = "198.51.100.23";
  /** The IP of the caller's own connection: what owners, operators and unauthenticated callers are recorded with. */
  private static final String CALLER_IP = "127.0.0.1";
  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);

  /** The types the tests saw stored, for the catalogue check that runs last. */
  private static final Set<String> stored = ConcurrentHashMap.newKeySet();

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().config(GatewayConfig.OWNER_SIGNUP, "open")
      .config(GatewayConfig.CLIENT_FAILURE_WINDOW_MS, 1_000);

  // Set by env before any test of the class runs.
  private static WebhookReceiver receiver;
  private static TestGateway gateway;

  @Test
  @DisplayName("a first sign-in stores otp.sent, then otp.verified, user.created and token.issued with the user")
  void signIn() {
    JsonObject app = gateway.createApp("e2e-sign-in");
    UUID appId = id(app);
    String email = "ada.signin@example.com";
    ApiResponse sent = sendOtp(app, email, "e2e-send");
    String otpRequestId = sent.json().getString("otp_request_id");
    String code = receiver.awaitCode(otpRequestId);
    ApiResponse verified = post("/auth/verify-otp", credentials(app).put("otp_request_id", otpRequestId).put("otp", code)
        .put("client_ip", END_USER_IP), "e2e-verify");
    assertEquals(200, verified.status(), verified.body());
    String user = verified.json().getJsonObject("user").getString("id");

    JsonObject otpSent = row(AuditEvent.OTP_SENT, "e2e-send", appId, END_USER_IP, null);
    assertEquals(otpRequestId, otpSent.getJsonObject("data").getString("otp_request_id"));
    row(AuditEvent.OTP_VERIFIED, "e2e-verify", appId, END_USER_IP, user);
    row(AuditEvent.USER_CREATED, "e2e-verify", appId, END_USER_IP, user);
    row(AuditEvent.TOKEN_ISSUED, "e2e-verify", appId, END_USER_IP, user);
    assertClean(appId, app.getString("app_secret"), code, email, verified.json().getString("access_token"),
        verified.json().getString("refresh_token"));
    assertChainVerifies(appId);
  }

  @Test
  @DisplayName("without an X-Request-Id the id the gateway generated and answered with is the one stored")
  void generatedRequestId() {
    JsonObject app = gateway.createApp("e2e-generated-id");
    ApiResponse sent = gateway.http().post("/auth/send-otp", credentials(app).put("email", "gen.id@example.com"));
    assertEquals(200, sent.status(), sent.body());
    String requestId = sent.header("X-Request-Id");

    JsonObject otpSent = row(AuditEvent.OTP_SENT, requestId, id(app), null, null);
    assertEquals(sent.json().getString("otp_request_id"), otpSent.getJsonObject("data").getString("otp_request_id"));
    receiver.awaitCall(sent.json().getString("otp_request_id"));
  }

  @Test
  @DisplayName("wrong codes store otp.failed each; the last allowed one also otp.burned, and a try after it otp.failed")
  void wrongCodes() {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Burn").put("slug", "e2e-burn")
        .put("settings", new JsonObject().put("otp_max_attempts", 2)));
    UUID appId = id(app);
    ApiResponse sent = post("/auth/send-otp", credentials(app).put("phone", "+62-89123456678").put("client_ip", END_USER_IP),
        "e2e-burn-send");
    assertEquals(200, sent.status(), sent.body());
    String otpRequestId = sent.json().getString("otp_request_id");
    String code = receiver.awaitCode(otpRequestId);
    String wrong = code.equals("000000") ? "111111" : "000000";

    List<String> answers = new ArrayList<>();
    for (int attempt = 1; attempt <= 3; attempt++) {
      ApiResponse refused = post("/auth/verify-otp", credentials(app).put("otp_request_id", otpRequestId).put("otp", wrong)
          .put("client_ip", END_USER_IP), "e2e-wrong-" + attempt);
      answers.add(refused.error());
    }
    assertEquals(List.of("otp_invalid", "otp_invalid", "otp_attempts_exceeded"), answers);

    assertEquals("invalid", row(AuditEvent.OTP_FAILED, "e2e-wrong-1", appId, END_USER_IP, null)
        .getJsonObject("data").getString("reason"));
    assertEquals(0, row(AuditEvent.OTP_FAILED, "e2e-wrong-2", appId, END_USER_IP, null)
        .getJsonObject("data").getInteger("attempts_left"));
    row(AuditEvent.OTP_BURNED, "e2e-wrong-2", appId, END_USER_IP, null);
    assertEquals("burned", row(AuditEvent.OTP_FAILED, "e2e-wrong-3", appId, END_USER_IP, null)
        .getJsonObject("data").getString("reason"));
    assertClean(appId, app.getString("app_secret"), code, "+6289123456678", "89123456678");
    assertChainVerifies(appId);
  }

  @Test
  @DisplayName("an unknown otp_request_id stores otp.failed with the reason expired")
  void unknownOtpRequest() {
    JsonObject app = gateway.createApp("e2e-expired");
    ApiResponse refused = post("/auth/verify-otp", credentials(app).put("otp_request_id", UUID.randomUUID().toString())
        .put("otp", "123456"), "e2e-expired");
    assertEquals("otp_expired", refused.error());

    JsonObject failed = row(AuditEvent.OTP_FAILED, "e2e-expired", id(app), null, null);
    assertEquals("expired", failed.getJsonObject("data").getString("reason"));
    assertChainVerifies(id(app));
  }

  @Test
  @DisplayName("a refresh stores token.refreshed; replaying the spent token stores token.reuse_detected and session.revoked")
  void refreshAndReuse() {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Reuse").put("slug", "e2e-reuse")
        .put("settings", new JsonObject().put("refresh_reuse_grace_seconds", 0)));
    UUID appId = id(app);
    JsonObject login = signIn(app, "grace.reuse@example.com", "e2e-reuse-login");
    String user = login.getJsonObject("user").getString("id");
    String first = login.getString("refresh_token");

    ApiResponse refreshed = post("/auth/refresh", credentials(app).put("refresh_token", first).put("client_ip", END_USER_IP),
        "e2e-refresh");
    assertEquals(200, refreshed.status(), refreshed.body());
    ApiResponse reused = post("/auth/refresh", credentials(app).put("refresh_token", first).put("client_ip", END_USER_IP),
        "e2e-reuse");
    assertEquals("refresh_token_reused", reused.error());

    row(AuditEvent.TOKEN_REFRESHED, "e2e-refresh", appId, END_USER_IP, user);
    row(AuditEvent.REFRESH_REUSE_DETECTED, "e2e-reuse", appId, END_USER_IP, user);
    JsonObject revoked = row(AuditEvent.SESSION_REVOKED, "e2e-reuse", appId, END_USER_IP, user);
    assertEquals("refresh_token_reused", revoked.getJsonObject("data").getString("reason"));
    assertClean(appId, app.getString("app_secret"), first, login.getString("access_token"),
        refreshed.json().getString("refresh_token"), refreshed.json().getString("access_token"));
    assertChainVerifies(appId);
  }

  @Test
  @DisplayName("a logout stores session.revoked with the user and the reason logout")
  void logout() {
    JsonObject app = gateway.createApp("e2e-logout");
    JsonObject login = signIn(app, "lin.logout@example.com", "e2e-logout-login");
    ApiResponse out = post("/auth/logout", credentials(app).put("refresh_token", login.getString("refresh_token"))
        .put("client_ip", END_USER_IP), "e2e-logout");
    assertEquals(200, out.status(), out.body());

    JsonObject revoked = row(AuditEvent.SESSION_REVOKED, "e2e-logout", id(app), END_USER_IP,
        login.getJsonObject("user").getString("id"));
    assertEquals("logout", revoked.getJsonObject("data").getString("reason"));
    assertClean(id(app), login.getString("refresh_token"), login.getString("access_token"));
    assertChainVerifies(id(app));
  }

  @Test
  @DisplayName("a wrong app_secret is summarised in client.auth_failed under the claimed app, an unknown app under the system chain")
  void clientAuthFailed() {
    JsonObject app = gateway.createApp("e2e-client-auth");
    String guess = "pcs_not-the-secret-" + UUID.randomUUID();
    ApiResponse wrong = post("/auth/send-otp", new JsonObject().put("app_id", app.getString("app_id"))
        .put("app_secret", guess).put("email", "eve@example.com").put("client_ip", END_USER_IP), "e2e-wrong-secret");
    assertEquals("invalid_client", wrong.error());
    ApiResponse unknown = post("/auth/refresh", new JsonObject().put("app_id", UUID.randomUUID().toString())
        .put("app_secret", guess).put("refresh_token", "x"), "e2e-unknown-app");
    assertEquals("invalid_client", unknown.error());

    // Not one row per attempt: one summary per app, source network and minute, written once the minute closed.
    // An unauthenticated caller's claim about an end user is not trusted: the connection's network is recorded.
    JsonObject failed = summary(id(app));
    assertEquals(new JsonObject().put("reason", "invalid_client").put("count", 1).put("network", "127.0.0.0/24")
        .put("window_start", failed.getJsonObject("data").getString("window_start")).put("window_ms", 1_000),
        failed.getJsonObject("data"));
    summary(AuditEvent.SYSTEM_APP);
    assertClean(id(app), guess, "eve@example.com");
    assertChainVerifies(id(app));
    assertChainVerifies(AuditEvent.SYSTEM_APP);
  }

  @Test
  @DisplayName("a second code within the resend cooldown stores rate_limited with the reason")
  void rateLimited() {
    JsonObject app = gateway.createApp("e2e-rate-limited");
    String email = "rita.limit@example.com";
    ApiResponse first = sendOtp(app, email, "e2e-limit-1");
    String code = receiver.awaitCode(first.json().getString("otp_request_id"));
    ApiResponse second = post("/auth/send-otp", credentials(app).put("email", email).put("client_ip", END_USER_IP),
        "e2e-limit-2");
    assertEquals("rate_limited", second.error());

    JsonObject limited = row(AuditEvent.RATE_LIMITED, "e2e-limit-2", id(app), END_USER_IP, null);
    assertEquals("cooldown", limited.getJsonObject("data").getString("reason"));
    // Whose sends were refused, masked as in otp.sent (h76: the event did not say).
    assertEquals("r***@example.com", limited.getJsonObject("data").getString("to"), limited.encode());
    assertClean(id(app), code, email);
    assertChainVerifies(id(app));
  }

  @Test
  @DisplayName("creating, changing, rotating the secret and key of, and deleting an app each store their event with the actor")
  void appLifecycle() {
    ApiResponse created = gateway.http().post("/v1/apps", new JsonObject().put("name", "Life").put("slug", "e2e-life"),
        ADMIN[0], ADMIN[1], "X-Request-Id", "e2e-app-create");
    assertEquals(201, created.status(), created.body());
    UUID appId = id(created.json());
    String path = "/v1/apps/" + appId;
    ApiResponse changed = gateway.http().patch(path, new JsonObject().put("name", "Life 2"),
        ADMIN[0], ADMIN[1], "X-Request-Id", "e2e-app-change");
    ApiResponse secret = gateway.http().post(path + "/rotate-secret", null, ADMIN[0], ADMIN[1], "X-Request-Id", "e2e-app-secret");
    ApiResponse key = gateway.http().post(path + "/rotate-signing-key", null, ADMIN[0], ADMIN[1], "X-Request-Id", "e2e-app-key");
    ApiResponse deleted = gateway.http().delete(path, ADMIN[0], ADMIN[1], "X-Request-Id", "e2e-app-delete");
    for (ApiResponse answer : List.of(changed, secret, key, deleted)) {
      assertEquals(200, answer.status(), answer.body());
    }

    List<String> requests = List.of("e2e-app-create", "e2e-app-change", "e2e-app-secret", "e2e-app-key", "e2e-app-delete");
    List<String> types = List.of(AuditEvent.APP_CREATED, AuditEvent.APP_CHANGED, AuditEvent.APP_SECRET_ROTATED,
        AuditEvent.APP_KEY_ROTATED, AuditEvent.APP_DELETED);
    for (int i = 0; i < types.size(); i++) {
      JsonObject row = row(types.get(i), requests.get(i), appId, CALLER_IP, null);
      assertEquals("operator", row.getJsonObject("data").getString("actor"), types.get(i));
    }
    assertEquals(key.json().getString("kid"), row(AuditEvent.APP_KEY_ROTATED, "e2e-app-key", appId, CALLER_IP, null)
        .getJsonObject("data").getString("kid"));
    assertEquals(types, AuditTrail.types(gateway, appId));
    assertClean(appId, created.json().getString("app_secret"), secret.json().getString("app_secret"), TestGateway.ADMIN_KEY);
    assertChainVerifies(appId);
  }

  @Test
  @DisplayName("an owner's sign-in stores owner.signed_in with the owner on the console app's chain, read with the admin key")
  void ownerSignedIn() {
    String email = "olga.owner@example.com";
    ApiResponse sent = post("/v1/owners/send-otp", new JsonObject().put("email", email), "e2e-owner-send");
    assertEquals(200, sent.status(), sent.body());
    String otpRequestId = sent.json().getString("otp_request_id");
    String code = receiver.awaitCode(otpRequestId);
    ApiResponse verified = post("/v1/owners/verify-otp", new JsonObject().put("otp_request_id", otpRequestId).put("otp", code),
        "e2e-owner-verify");
    assertEquals(200, verified.status(), verified.body());
    String owner = verified.json().getJsonObject("owner").getString("id");

    row(AuditEvent.OTP_SENT, "e2e-owner-send", App.CONSOLE_ID, CALLER_IP, null);
    row(AuditEvent.TOKEN_ISSUED, "e2e-owner-verify", App.CONSOLE_ID, CALLER_IP, owner);
    JsonObject signedIn = row(AuditEvent.OWNER_SIGNED_IN, "e2e-owner-verify", App.CONSOLE_ID, CALLER_IP, owner);
    assertEquals(true, signedIn.getJsonObject("data").getBoolean("new_owner"));
    ApiResponse listed = AuditTrail.list(gateway, App.CONSOLE_ID, "type=" + AuditEvent.OWNER_SIGNED_IN);
    assertEquals(200, listed.status(), listed.body());
    assertEquals("e2e-owner-verify", listed.json().getJsonArray("events").getJsonObject(0).getString("request_id"));
    assertClean(App.CONSOLE_ID, code, email, verified.json().getString("access_token"),
        verified.json().getString("refresh_token"));
    assertChainVerifies(App.CONSOLE_ID);
  }

  @Test
  @DisplayName("a provider answering 500 until the retries run out leads to a stored otp.delivery_failed of the send's request")
  void deliveryFailed() {
    JsonObject app = gateway.createApp("e2e-undeliverable");
    String email = "una.undeliverable@example.com";
    receiver.answerEach(call -> email.equals(call.json().getString("to")) ? 500 : 200);
    try {
      ApiResponse sent = sendOtp(app, email, "e2e-undeliverable");
      String otpRequestId = sent.json().getString("otp_request_id");
      Await.until("otp.delivery_failed of e2e-undeliverable", Duration.ofSeconds(15), () -> AuditTrail
          .ofRequest(gateway, "e2e-undeliverable").stream()
          .anyMatch(row -> AuditEvent.OTP_DELIVERY_FAILED.equals(row.getString("type"))));

      assertTrue(receiver.callsFor(otpRequestId).size() > 1, "the delivery was retried before it was given up");
      JsonObject failed = row(AuditEvent.OTP_DELIVERY_FAILED, "e2e-undeliverable", id(app), END_USER_IP, null);
      assertEquals(otpRequestId, failed.getJsonObject("data").getString("otp_request_id"));
      assertClean(id(app), receiver.awaitCode(otpRequestId), email);
      assertChainVerifies(id(app));
    } finally {
      receiver.answer(() -> 200);
    }
  }

  @Test
  @DisplayName("passwords store signup, verification, login success and failure, lock-out, a raised challenge, change "
      + "and reset, each with its request, the end user's IP and the user, and no password in any row")
  void passwords() {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Passwords").put("slug", "e2e-passwords")
        .put("settings", new JsonObject().put("challenge_required", false).put("password_max_failures", 3)
            .put("otp_resend_cooldown", 0)));
    UUID appId = id(app);
    String email = "pia.password@example.com";
    ApiResponse signup = post("/auth/signup", credentials(app).put("email", email).put("password", "tangerine skyline 42")
        .put("client_ip", END_USER_IP), "e2e-pw-signup");
    assertEquals(202, signup.status(), signup.body());
    row(AuditEvent.SIGNUP_REQUESTED, "e2e-pw-signup", appId, END_USER_IP, null);
    String verificationId = signup.json().getString("verification_id");
    String code = receiver.awaitCode(verificationId);
    ApiResponse verified = post("/auth/verify", credentials(app).put("verification_id", verificationId).put("code", code)
        .put("client_ip", END_USER_IP), "e2e-pw-verify");
    assertEquals(200, verified.status(), verified.body());
    String user = verified.json().getJsonObject("user").getString("id");
    row(AuditEvent.IDENTITY_VERIFIED, "e2e-pw-verify", appId, END_USER_IP, user);

    ApiResponse login = post("/auth/login", credentials(app).put("email", email).put("password", "tangerine skyline 42")
        .put("client_ip", END_USER_IP), "e2e-pw-login");
    assertEquals(200, login.status(), login.body());
    row(AuditEvent.PASSWORD_LOGIN_SUCCEEDED, "e2e-pw-login", appId, END_USER_IP, user);
    String access = login.json().getString("access_token");
    ApiResponse changed = post("/auth/change-password", credentials(app).put("access_token", access)
        .put("current_password", "tangerine skyline 42").put("new_password", "marmalade orbit 77")
        .put("client_ip", END_USER_IP), "e2e-pw-change");
    assertEquals(200, changed.status(), changed.body());
    row(AuditEvent.PASSWORD_CHANGED, "e2e-pw-change", appId, END_USER_IP, user);

    ApiResponse requested = post("/auth/request-password-reset", credentials(app).put("email", email)
        .put("client_ip", END_USER_IP), "e2e-pw-reset-request");
    assertEquals(200, requested.status(), requested.body());
    row(AuditEvent.PASSWORD_RESET_REQUESTED, "e2e-pw-reset-request", appId, END_USER_IP, user);
    String resetId = requested.json().getString("reset_id");
    String resetCode = receiver.awaitCode(resetId);
    ApiResponse reset = post("/auth/reset-password", credentials(app).put("reset_id", resetId).put("code", resetCode)
        .put("new_password", "quietly humming kettle").put("client_ip", END_USER_IP), "e2e-pw-reset");
    assertEquals(200, reset.status(), reset.body());
    row(AuditEvent.PASSWORD_RESET_COMPLETED, "e2e-pw-reset", appId, END_USER_IP, user);
    ApiResponse unknownReset = post("/auth/request-password-reset", credentials(app).put("email", "nobody-e2e@example.com")
        .put("client_ip", END_USER_IP), "e2e-pw-reset-unknown");
    assertEquals(200, unknownReset.status(), unknownReset.body());
    assertEquals(unknownReset.json().getString("reset_id"),
        row(AuditEvent.OTP_WITHHELD, "e2e-pw-reset-unknown", appId, END_USER_IP, null).getJsonObject("data")
            .getString("otp_request_id"));

    for (int attempt = 1; attempt <= 3; attempt++) {
      ApiResponse refused = post("/auth/login", credentials(app).put("email", email).put("password", "not it at all")
          .put("client_ip", END_USER_IP), "e2e-pw-fail-" + attempt);
      assertEquals("invalid_credentials", refused.error(), refused.body());
    }
    row(AuditEvent.PASSWORD_LOGIN_FAILED, "e2e-pw-fail-1", appId, END_USER_IP, user);
    row(AuditEvent.PASSWORD_LOCKED_OUT, "e2e-pw-fail-3", appId, END_USER_IP, user);
    ApiResponse challenge = post("/auth/challenge", credentials(app).put("purpose", "login").put("email", email)
        .put("client_ip", END_USER_IP), "e2e-pw-challenge");
    assertEquals(200, challenge.status(), challenge.body());
    assertTrue(challenge.json().getJsonObject("pow").getInteger("difficulty") > 0, challenge.body());
    row(AuditEvent.CHALLENGE_ISSUED, "e2e-pw-challenge", appId, END_USER_IP, null);

    assertClean(appId, app.getString("app_secret"), code, resetCode, email, "tangerine skyline", "marmalade orbit",
        "quietly humming", "not it at all", "$argon2id");
    assertChainVerifies(appId);
  }

  @Test
  @Order(Integer.MAX_VALUE)
  @DisplayName("the tests above stored every type of the audit catalogue (runs last, with the whole class)")
  void everyTypeCovered() throws IllegalAccessException {
    Set<String> catalogue = new TreeSet<>();
    for (Field field : AuditEvent.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
        catalogue.add((String) field.get(null));
      }
    }
    Set<String> missing = new TreeSet<>(catalogue);
    missing.removeAll(stored);
    assertTrue(missing.isEmpty(), "types no end-to-end test stored: " + missing);
  }

  // --- helpers

  /** A stored client.auth_failed summary of the app, waited for (the window closes, then it is written). */
  private static JsonObject summary(UUID appId) {
    java.util.concurrent.atomic.AtomicReference<JsonObject> found = new java.util.concurrent.atomic.AtomicReference<>();
    dev.portcullis.testing.Await.until("a client.auth_failed summary of " + appId, java.time.Duration.ofSeconds(10),
        () -> {
          AuditTrail.rows(gateway, appId).stream()
              .filter(row -> AuditEvent.CLIENT_AUTH_FAILED.equals(row.getString("type")))
              .filter(row -> "127.0.0.0/24".equals(row.getJsonObject("data").getString("network")))
              .findFirst().ifPresent(found::set);
          return found.get() != null;
        });
    JsonObject row = found.get();
    assertEquals(null, row.getString("request_id"), "a summary belongs to no single request");
    stored.add(AuditEvent.CLIENT_AUTH_FAILED);
    return row;
  }

  /**
   * The one stored row of {@code type} that request {@code requestId} wrote, after checking it is filed under
   * {@code appId} with that request id, the client IP and the user (null: none recorded).
   */
  private static JsonObject row(String type, String requestId, UUID appId, String clientIp, String userId) {
    List<JsonObject> rows = AuditTrail.ofRequest(gateway, requestId).stream()
        .filter(row -> type.equals(row.getString("type")))
        .toList();
    assertEquals(1, rows.size(), "stored " + type + " rows of request " + requestId + ": " + rows);
    JsonObject row = rows.get(0);
    assertEquals(appId.toString(), row.getString("app_id"), type + ": app");
    assertEquals(requestId, row.getString("request_id"), type + ": request id");
    assertEquals(clientIp, row.getString("client_ip"), type + ": client_ip");
    assertEquals(userId, row.getString("user_id"), type + ": user");
    stored.add(type);
    return row;
  }

  /** No stored event of the app holds any of these (secrets, codes, tokens, full addresses) in its data. */
  private static void assertClean(UUID appId, String... secrets) {
    List<JsonObject> rows = AuditTrail.rows(gateway, appId);
    assertFalse(rows.isEmpty());
    for (JsonObject row : rows) {
      String data = row.getJsonObject("data").encode();
      for (String secret : secrets) {
        assertFalse(data.contains(secret), row.getString("type") + " data holds a secret: " + data);
      }
    }
  }

  private static void assertChainVerifies(UUID appId) {
    ApiResponse verified = AuditTrail.verify(gateway, appId);
    assertEquals(200, verified.status(), verified.body());
    assertEquals(true, verified.json().getBoolean("ok"), verified.body());
    assertEquals(AuditTrail.rows(gateway, appId).size(), verified.json().getInteger("events_checked"));
  }

  /** A user's sign-in through send-otp and verify-otp; returns the token response. */
  private static JsonObject signIn(JsonObject app, String email, String requestId) {
    String otpRequestId = sendOtp(app, email, requestId + "-send").json().getString("otp_request_id");
    ApiResponse verified = post("/auth/verify-otp", credentials(app).put("otp_request_id", otpRequestId)
        .put("otp", receiver.awaitCode(otpRequestId)), requestId + "-verify");
    assertEquals(200, verified.status(), verified.body());
    return verified.json();
  }

  /** A send-otp to the email, from the end user's IP, that must be answered 200. */
  private static ApiResponse sendOtp(JsonObject app, String email, String requestId) {
    ApiResponse sent = post("/auth/send-otp", credentials(app).put("email", email).put("client_ip", END_USER_IP), requestId);
    assertEquals(200, sent.status(), sent.body());
    return sent;
  }

  private static ApiResponse post(String path, JsonObject body, String requestId) {
    return gateway.http().post(path, body, "X-Request-Id", requestId);
  }

  private static JsonObject credentials(JsonObject app) {
    return new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"));
  }

  private static UUID id(JsonObject app) {
    return UUID.fromString(app.getString("app_id"));
  }
}
