package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Probe h32: challenge (difficulty 0) and signup in a loop for one address, rotating client networks, had the
 * operator send a code (or, for an existing account, a notice) about 120 times an hour. Codes and notices to one
 * identity from networks that never signed it in are capped per hour across networks
 * (PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IDENTITY, default 10), the same way with or without an account.
 */
@DisplayName("Signup codes and notices to one identity from many networks are capped per hour, account or not")
class SignupRecipientCapTest {

  /** The default of PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IDENTITY: this class's gateway does not set it. */
  private static final int CAP = 10;
  private static final String HOME = "203.0.113.9";
  private static final String PASSWORD = "tangerine skyline 42";

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().auditTap();

  static TestGateway gateway;
  static WebhookReceiver receiver;
  static AuditTap audit;

  @Test
  @DisplayName("an existing account's notices stop at the cap exactly as a new identity's codes do (same answers), "
      + "resets share the cap, and the network that signed the account in still gets its notice")
  void noticeCappedLikeCode() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "cap-signup",
        new JsonObject().put("otp_resend_cooldown", 0));
    String existing = "held@example.com";
    String fresh = "nobody@example.com";
    // Both signed up once from home (counted: home had signed neither in yet); only the account's was verified.
    ApiResponse first = client.signup(existing, PASSWORD, HOME);
    assertEquals(202, first.status(), first.body());
    assertEquals(202, client.signup(fresh, PASSWORD, HOME).status());
    String verificationId = first.json().getString("verification_id");
    ApiResponse verified = client.verify(verificationId, receiver.awaitCode(verificationId), HOME);
    assertEquals(200, verified.status(), verified.body());

    for (int i = 1; i < CAP; i++) {
      expirePendingCodes(client.appId());
      ApiResponse notice = client.signup(existing, PASSWORD, network(i));
      ApiResponse code = client.signup(fresh, PASSWORD, network(i));
      assertEquals(202, notice.status(), network(i) + ": " + notice.body());
      assertEquals(202, code.status(), network(i) + ": " + code.body());
    }
    Await.until("the notices", Duration.ofSeconds(10), () -> deliveredTo(existing) == CAP);
    assertNull(lastTo(existing).getValue("code"), "a notice, not a code");

    expirePendingCodes(client.appId());
    ApiResponse noticeRefused = client.signup(existing, PASSWORD, network(CAP));
    ApiResponse codeRefused = client.signup(fresh, PASSWORD, network(CAP));
    for (ApiResponse refused : new ApiResponse[] {noticeRefused, codeRefused}) {
      assertEquals(429, refused.status(), refused.body());
      assertEquals("rate_limited", refused.error());
      long retryAfter = Long.parseLong(refused.header("Retry-After"));
      assertEquals(retryAfter, refused.json().getLong("retry_after"));
      assertTrue(retryAfter >= 3_400 && retryAfter <= 3_600, "retry after " + retryAfter + " s");
    }
    assertEquals(noticeRefused.json().fieldNames(), codeRefused.json().fieldNames());
    assertEquals(noticeRefused.json().getString("message").replaceAll("\\d+ s$", ""),
        codeRefused.json().getString("message").replaceAll("\\d+ s$", ""), "no telling an account from none");
    assertEquals(429, client.requestReset(existing, network(CAP + 1)).status(), "a reset code shares the cap");
    assertEquals(CAP, deliveredTo(existing), "nothing more was sent to the account");

    Await.until("the rate_limited events", Duration.ofSeconds(5), () -> audit.of(AuditEvent.RATE_LIMITED,
            client.appId()).stream()
        .filter(event -> "identity_untrusted_hourly".equals(event.getJsonObject("data").getString("reason")))
        .count() >= 3);
    assertTrue(gateway.management().get("/metrics").body()
        .contains("portcullis_otp_rate_limited_total{reason=\"identity_untrusted_hourly\"}"), "counted by reason");

    ApiResponse home = client.signup(existing, PASSWORD, HOME);
    assertEquals(202, home.status(), "the network that signed the account in is not limited: " + home.body());
    Await.until("the notice home", Duration.ofSeconds(10), () -> deliveredTo(existing) == CAP + 1);
  }

  @Test
  @DisplayName("a network where the password signed the account in is open to its codes like one a code signed it "
      + "in from: strangers who spent the cap do not keep a password user from a reset there (h36)")
  void passwordSignInOpensItsNetwork() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "cap-password-home",
        new JsonObject().put("otp_resend_cooldown", 0));
    String email = "password-user@example.com";
    String office = "198.51.100.80";
    signedUpAtHome(client, email);
    assertEquals(200, client.login(email, PASSWORD, office).status(), "signs in at the office, by password only");

    strangersSpendTheCap(client, email, 100);
    assertEquals(429, client.requestReset(email, network(200)).status(), "strangers spent the cap");
    ApiResponse reset = client.requestReset(email, office);
    assertEquals(200, reset.status(), "the office signed the account in: " + reset.body());
  }

  @Test
  @DisplayName("a right password whose login is refused (a disabled user) opens no network to the identity's codes "
      + "(h37)")
  void refusedLoginOpensNothing() throws Exception {
    PasswordClient client = PasswordClient.forNewApp(gateway, "cap-refused-login",
        new JsonObject().put("otp_resend_cooldown", 0));
    String email = "disabled-user@example.com";
    String elsewhere = "198.51.100.90";
    signedUpAtHome(client, email);
    try (java.sql.Connection db = gateway.jdbc(); java.sql.PreparedStatement disable = db.prepareStatement(
        "UPDATE users SET disabled = true WHERE app_id = ?::uuid AND email = ?")) {
      disable.setString(1, client.appId());
      disable.setString(2, email);
      assertEquals(1, disable.executeUpdate());
    }
    assertEquals("user_disabled", client.login(email, PASSWORD, elsewhere).error());

    strangersSpendTheCap(client, email, 300);
    assertEquals(429, client.requestReset(email, elsewhere).status(), "the refused login's network is a stranger's");
  }

  @Test
  @DisplayName("a sign-in of an identity nobody verified (an app without require_verified_identity, a password the "
      + "admin API set) opens no network to the identity's codes (h41)")
  void unverifiedSignInOpensNothing() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "cap-unverified-login",
        new JsonObject().put("otp_resend_cooldown", 0).put("require_verified_identity", false));
    String email = "unproven@example.com";
    String office = "198.51.100.95";
    ApiResponse made = gateway.http().post("/v1/apps/" + client.appId() + "/users",
        new JsonObject().put("email", email).put("password", PASSWORD), Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(201, made.status(), made.body());
    assertEquals(false, made.json().getBoolean("email_verified"));
    ApiResponse login = client.login(email, PASSWORD, office);
    assertEquals(200, login.status(), "the app signs unverified identities in: " + login.body());

    assertEquals(200, client.requestReset(email, HOME).status(), "the first send on the cap");
    strangersSpendTheCap(client, email, 400);
    assertEquals(429, client.requestReset(email, office).status(), "the unverified sign-in's network is a stranger's");
  }

  /** An account signed up and verified from {@link #HOME}: that signup is the first send on the cap. */
  private static void signedUpAtHome(PasswordClient client, String email) {
    String verificationId = client.signup(email, PASSWORD, HOME).json().getString("verification_id");
    assertEquals(200, client.verify(verificationId, receiver.awaitCode(verificationId), HOME).status());
  }

  /** The rest of the hour's cap spent by signups from strangers' networks (from {@code first} on). */
  private static void strangersSpendTheCap(PasswordClient client, String email, int first) {
    for (int i = 1; i < CAP; i++) {
      expirePendingCodes(client.appId());
      assertEquals(202, client.signup(email, PASSWORD, network(first + i)).status());
    }
    expirePendingCodes(client.appId());
  }

  /** A client IP in the i-th IPv6 /64 of a documentation /48: each is a network of its own. */
  private static String network(int i) {
    return "2001:db8:78:" + Integer.toHexString(i) + "::1";
  }

  private static long deliveredTo(String email) {
    return receiver.calls().stream().filter(call -> email.equals(call.json().getString("to"))).count();
  }

  private static JsonObject lastTo(String email) {
    return receiver.calls().stream().map(WebhookReceiver.Call::json)
        .filter(json -> email.equals(json.getString("to"))).reduce((a, b) -> b).orElseThrow();
  }

  /** As the codes' 300 s would: the 3 pending codes across networks stop refusing sends. */
  private static void expirePendingCodes(String appId) {
    for (var key : gateway.redis(Command.KEYS, gateway.redisPrefix() + "otp-pending:{" + appId + "}:*")) {
      gateway.redis(Command.DEL, key.toString());
    }
  }
}
