package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.hosted.FormBrowser;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.SlowTrigger;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A first sign-in whose statement outlives the request's deadline, made slow by a trigger of the test's own. */
@DisplayName("First sign-ins past the backend timeout: the answer and the audit log")
class SlowSignInAuditTest {

  private static final int TIMEOUT_MS = 1_000;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook()
      .config(GatewayConfig.BACKEND_TIMEOUT_MS, TIMEOUT_MS);

  // Set by env before any test of the class runs.
  private static WebhookReceiver receiver;
  private static TestGateway gateway;

  /**
   * The sign-in is one autocommit statement: answered 503, it committed a moment later, and the fallback then found
   * its user as an existing one, so the user was never audited as created.
   */
  @Test
  @DisplayName("a first sign-in answered 503 whose statement outlives the deadline still audits user.created for the "
      + "user it leaves")
  void lateStatementStillAuditsTheNewUser() throws Exception {
    JsonObject app = gateway.createApp("slow-sign-in");
    String email = "slow-first@example.com";
    try (SlowTrigger slow = slowSessions(app, 1.5 * TIMEOUT_MS / 1000)) {
      ApiResponse answered = gateway.http().post("/auth/verify-otp", verification(app, email));
      assertEquals(503, answered.status(), answered.body());
      awaitCreatedAudited(app, email);
    }
  }

  /**
   * h27: a statement slower than the fallback's own deadline committed its user and session with no event at all (the
   * fallback's audit timed out behind it): the requests' statement_timeout now ends it at the deadline.
   */
  @Test
  @DisplayName("a first sign-in whose statement would run three backend timeouts is cancelled at the deadline: "
      + "answered 503, it leaves no session, and the user the proof leaves is audited as created")
  void statementCancelledAtTheDeadline() throws Exception {
    JsonObject app = gateway.createApp("slower-sign-in");
    String email = "slower-first@example.com";
    try (SlowTrigger slow = slowSessions(app, 3.0 * TIMEOUT_MS / 1000)) {
      ApiResponse answered = gateway.http().post("/auth/verify-otp", verification(app, email));
      assertEquals(503, answered.status(), answered.body());
      awaitCreatedAudited(app, email);
      Await.until("no statement of the gateway's on sessions runs", Duration.ofSeconds(10),
          () -> gateway.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
              + "AND pid <> pg_backend_pid() AND state = 'active' AND query ILIKE '%INSERT INTO sessions%'") == 0);
    }
    assertEquals(0, gateway.count("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
        + "WHERE u.app_id = '" + app.getString("app_id") + "' AND u.email = '" + email + "'"),
        "answered 503, no session");
  }

  /** h29: the hosted code step re-rendered a store's failure as a 400 page, without Retry-After. */
  @Test
  @DisplayName("a hosted sign-in whose new user cannot be stored in time re-renders the code step as a 503 page with "
      + "Retry-After, not a 400")
  void hostedStepPastTheDeadlineIsUnavailable() throws Exception {
    String callback = "https://shop.example.com/callback";
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Slow hosted").put("slug", "slow-hosted")
        .put("callback_urls", new io.vertx.core.json.JsonArray().add(callback)));
    String email = "slow-hosted@example.com";
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    FormBrowser.Page identityStep = browser.get("/onboarding/" + app.getString("app_id") + "?state=s&callback_url="
        + FormBrowser.encode(callback));
    FormBrowser.Page passwordStep = browser.submit(identityStep, Map.of("identity", email));
    FormBrowser.Page codeStep = browser.submit(passwordStep, Map.of("action", "send_code"));
    assertTrue(codeStep.body().contains("name=\"code\""), codeStep.toString());
    Await.until("the code sent to " + email, Duration.ofSeconds(10),
        () -> receiver.calls().stream().anyMatch(call -> email.equals(call.json().getString("to"))));
    String code = receiver.calls().stream().filter(call -> email.equals(call.json().getString("to"))).findFirst()
        .orElseThrow().json().getString("code");
    try (SlowTrigger slow = new SlowTrigger(gateway, "users", "BEFORE INSERT ON users FOR EACH ROW WHEN (NEW.app_id = '"
        + UUID.fromString(app.getString("app_id")) + "')", 3 * TIMEOUT_MS)) {
      FormBrowser.Page refused = browser.submit(codeStep, Map.of("code", code, "action", "verify"));
      assertEquals(503, refused.status(), refused.toString());
      assertTrue(Long.parseLong(refused.header("Retry-After")) >= 1, refused.toString());
      assertTrue(refused.body().contains("Sign-in is unavailable right now"), refused.body());
    }
  }

  private static void awaitCreatedAudited(JsonObject app, String email) {
    String appId = app.getString("app_id");
    Await.until("user.created of the identity's user", Duration.ofSeconds(10),
        () -> gateway.count("SELECT count(*) FROM audit_events e JOIN users u ON u.id = e.user_id "
            + "WHERE e.type = '" + AuditEvent.USER_CREATED + "' AND u.app_id = '" + appId + "' "
            + "AND u.email = '" + email + "'") == 1);
  }

  /** A proven code of a new identity at the app: the body of its verify-otp. */
  private static JsonObject verification(JsonObject app, String email) {
    JsonObject credentials = new JsonObject().put("app_id", app.getString("app_id"))
        .put("app_secret", app.getString("app_secret"));
    ApiResponse sent = gateway.http().post("/auth/send-otp", credentials.copy().put("email", email));
    assertEquals(200, sent.status(), sent.body());
    String otpRequestId = sent.json().getString("otp_request_id");
    return credentials.copy().put("otp_request_id", otpRequestId).put("otp", receiver.awaitCode(otpRequestId));
  }

  /** Every session insert of the app sleeps {@code seconds}, until closed. */
  private static SlowTrigger slowSessions(JsonObject app, double seconds) throws java.sql.SQLException {
    return new SlowTrigger(gateway, "sessions", "BEFORE INSERT ON sessions FOR EACH ROW WHEN (NEW.app_id = '"
        + UUID.fromString(app.getString("app_id")) + "')", (long) (seconds * 1000));
  }
}
