package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A first sign-in whose statement outlives the request's deadline, made slow by a trigger of the test's own. */
@DisplayName("POST /auth/verify-otp past the backend timeout and the audit log")
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
  @DisplayName("a first sign-in answered 503 whose statement commits after the answer still audits user.created "
      + "for the user it made")
  void lateCommitStillAuditsTheNewUser() throws Exception {
    JsonObject app = gateway.createApp("slow-sign-in");
    String appId = app.getString("app_id");
    String email = "slow-first@example.com";
    JsonObject credentials = new JsonObject().put("app_id", appId).put("app_secret", app.getString("app_secret"));
    ApiResponse sent = gateway.http().post("/auth/send-otp", credentials.copy().put("email", email));
    assertEquals(200, sent.status(), sent.body());
    String otpRequestId = sent.json().getString("otp_request_id");
    JsonObject verify = credentials.copy().put("otp_request_id", otpRequestId)
        .put("otp", receiver.awaitCode(otpRequestId));

    try (Connection db = gateway.jdbc(); Statement ddl = db.createStatement()) {
      ddl.execute("CREATE FUNCTION test_slow_session() RETURNS trigger LANGUAGE plpgsql AS "
          + "$$ BEGIN PERFORM pg_sleep(" + 1.5 * TIMEOUT_MS / 1000 + "); RETURN NEW; END $$");
      ddl.execute("CREATE TRIGGER test_slow_session BEFORE INSERT ON sessions FOR EACH ROW WHEN (NEW.app_id = '"
          + UUID.fromString(appId) + "') EXECUTE FUNCTION test_slow_session()");
      try {
        ApiResponse answered = gateway.http().post("/auth/verify-otp", verify);
        assertEquals(503, answered.status(), answered.body());
        Await.until("the sign-in's user committed", Duration.ofSeconds(10),
            () -> gateway.count("SELECT count(*) FROM users WHERE app_id = '" + appId + "' AND email = '" + email
                + "'") == 1);
        Await.until("user.created of the user the sign-in made", Duration.ofSeconds(10),
            () -> gateway.count("SELECT count(*) FROM audit_events e JOIN users u ON u.id = e.user_id "
                + "WHERE e.type = '" + AuditEvent.USER_CREATED + "' AND u.app_id = '" + appId + "' "
                + "AND u.email = '" + email + "'") == 1);
      } finally {
        ddl.execute("DROP TRIGGER test_slow_session ON sessions");
        ddl.execute("DROP FUNCTION test_slow_session()");
      }
    }
  }
}
