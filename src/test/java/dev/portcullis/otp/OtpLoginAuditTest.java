package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditTrail;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a login (verify-otp) leaves in the stored audit log. The verifier records the code's events while the
 * token service issues the token, so these tests read the rows straight from Postgres the moment the answer
 * arrives: nothing is polled.
 */
@DisplayName("POST /auth/verify-otp and the audit log")
class OtpLoginAuditTest {

  private static final int LOGINS = 16;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook();

  // Set by env before any test of the class runs.
  private static WebhookReceiver receiver;
  private static TestGateway gateway;

  @Test
  @DisplayName("when a 200 arrives, otp.verified, user.created and token.issued of that request are all stored, "
      + "the code's events before token.issued, for each of 16 concurrent first logins")
  void everyEventIsStoredWhenTheAnswerArrives() {
    JsonObject app = gateway.createApp("login-audit");
    List<JsonObject> bodies = new ArrayList<>();
    for (int i = 0; i < LOGINS; i++) {
      String otpRequestId = sent(app, "login" + i + "@example.com");
      bodies.add(credentials(app).put("otp_request_id", otpRequestId).put("otp", receiver.awaitCode(otpRequestId)));
    }
    List<CompletableFuture<ApiResponse>> logins = new ArrayList<>();
    for (int i = 0; i < LOGINS; i++) {
      logins.add(gateway.http().postAsync("/auth/verify-otp", bodies.get(i), "X-Request-Id", "login-audit-" + i));
    }
    for (int i = 0; i < LOGINS; i++) {
      ApiResponse answer = logins.get(i).join();
      // Read before looking at any other answer: the rows must already be there when this one arrived.
      Map<String, JsonObject> stored = byType(AuditTrail.ofRequest(gateway, "login-audit-" + i));
      assertEquals(200, answer.status(), answer.body());
      assertEquals(List.of(AuditEvent.OTP_VERIFIED, AuditEvent.TOKEN_ISSUED, AuditEvent.USER_CREATED),
          stored.keySet().stream().sorted().toList(), "stored events of login " + i);
      String userId = answer.json().getJsonObject("user").getString("id");
      stored.values().forEach(row -> assertEquals(userId, row.getString("user_id"), row.encode()));
      assertTrue(stored.get(AuditEvent.OTP_VERIFIED).getLong("seq") < stored.get(AuditEvent.TOKEN_ISSUED).getLong("seq"),
          "otp.verified precedes token.issued in the chain: " + stored);
    }
    assertEquals(true, AuditTrail.verify(gateway, UUID.fromString(app.getString("app_id"))).json().getBoolean("ok"));
  }

  @Test
  @DisplayName("a login whose token cannot be issued answers 500 internal_error, keeps otp.verified and "
      + "user.created (the code is spent and the user exists), stores no token.issued, and the code stays spent")
  void failedIssueLeavesATruthfulTrail() throws Exception {
    JsonObject app = gateway.createApp("login-audit-refused");
    refuseSessionsOf(app.getString("app_id"));
    String otpRequestId = sent(app, "refused@example.com");
    String code = receiver.awaitCode(otpRequestId);

    ApiResponse answer = gateway.http().post("/auth/verify-otp",
        credentials(app).put("otp_request_id", otpRequestId).put("otp", code), "X-Request-Id", "login-refused");
    Map<String, JsonObject> stored = byType(AuditTrail.ofRequest(gateway, "login-refused"));
    assertEquals(500, answer.status(), answer.body());
    assertEquals("internal_error", answer.error());
    assertEquals(List.of(AuditEvent.OTP_VERIFIED, AuditEvent.USER_CREATED), stored.keySet().stream().sorted().toList());
    assertEquals(otpRequestId, stored.get(AuditEvent.OTP_VERIFIED).getJsonObject("data").getString("otp_request_id"));

    ApiResponse again = gateway.http().post("/auth/verify-otp",
        credentials(app).put("otp_request_id", otpRequestId).put("otp", code));
    assertEquals(401, again.status(), again.body());
    assertEquals("otp_expired", again.error());
  }

  @Test
  @DisplayName("a login whose otp.verified cannot be stored is not answered 200, although its token was issued")
  void unstoredCodeEventsFailTheLogin() throws Exception {
    JsonObject app = gateway.createApp("login-audit-unstored");
    refuse("refuse_otp_verified", "audit_events", "NEW.app_id = '" + UUID.fromString(app.getString("app_id")) + "' AND NEW.type = '"
        + AuditEvent.OTP_VERIFIED + "'");
    String otpRequestId = sent(app, "unstored@example.com");

    ApiResponse answer = gateway.http().post("/auth/verify-otp", credentials(app).put("otp_request_id", otpRequestId)
        .put("otp", receiver.awaitCode(otpRequestId)), "X-Request-Id", "login-unstored");
    assertEquals(500, answer.status(), answer.body());
    assertEquals("internal_error", answer.error());
    assertTrue(AuditTrail.ofRequest(gateway, "login-unstored").stream()
        .noneMatch(row -> AuditEvent.OTP_VERIFIED.equals(row.getString("type"))));
  }

  /** A trigger that makes Postgres refuse every session of this app: the token service cannot log anyone in. */
  private static void refuseSessionsOf(String appId) throws Exception {
    refuse("refuse_sessions", "sessions", "NEW.app_id = '" + UUID.fromString(appId) + "'");
  }

  /** Makes Postgres refuse inserts into {@code table} of rows that match {@code condition} (fixed test text). */
  private static void refuse(String function, String table, String condition) throws Exception {
    try (Connection db = gateway.jdbc(); Statement statement = db.createStatement()) {
      statement.execute("CREATE FUNCTION " + function + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          + "IF " + condition + " THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$");
      statement.execute("CREATE TRIGGER " + function + " BEFORE INSERT ON " + table + " FOR EACH ROW "
          + "EXECUTE FUNCTION " + function + "()");
    }
  }

  private static String sent(JsonObject app, String email) {
    ApiResponse sent = gateway.http().post("/auth/send-otp", credentials(app).put("email", email));
    assertEquals(200, sent.status(), sent.body());
    return sent.json().getString("otp_request_id");
  }

  private static Map<String, JsonObject> byType(List<JsonObject> rows) {
    return rows.stream().collect(Collectors.toMap(row -> row.getString("type"), Function.identity()));
  }

  private static JsonObject credentials(JsonObject app) {
    return new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"));
  }
}
