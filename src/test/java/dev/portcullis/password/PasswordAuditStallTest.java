package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A change or reset used to record its event after its password had committed: an audit log that could not take it
 * then (its chain held, Postgres failing over) made the answer {@code 503} for a stored password, whose retry is
 * refused, and a reset skipped its clearing of the lock-outs (probe h52). The event is now staged in the password's
 * own transaction.
 */
@DisplayName("A password change or reset while the audit chain is stalled")
class PasswordAuditStallTest {

  private static final String PASSWORD = "tangerine skyline 42";
  private static final String NEW_PASSWORD = "marmalade orbit 77";

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook();

  static TestGateway gateway;
  static WebhookReceiver receiver;

  @Test
  @DisplayName("a change is answered 200, and its event reaches the chain once the chain moves again")
  void change() throws Exception {
    PasswordClient client = newApp("stall-change");
    String access = signedUp(client, "cleo@example.com").getString("access_token");

    ApiResponse changed = whileChainHeld(client.appId(), () -> client.change(access, PASSWORD, NEW_PASSWORD));

    assertEquals(200, changed.status(), changed.body());
    assertStoredOnce(client.appId(), AuditEvent.PASSWORD_CHANGED);
    assertEquals(200, client.login("cleo@example.com", NEW_PASSWORD, null).status());
  }

  @Test
  @DisplayName("a reset is answered 200, lifts the identity's lock-out, and its event reaches the chain once the chain "
      + "moves again")
  void reset() throws Exception {
    PasswordClient client = newApp("stall-reset");
    String email = "remy@example.com";
    signedUp(client, email);
    for (int i = 0; i < 3; i++) {
      assertEquals("invalid_credentials", client.login(email, "a wrong guess " + i, "192.0.2.7").error());
    }
    assertEquals("rate_limited", client.login(email, PASSWORD, "192.0.2.7").error(), "locked out from that network");
    String resetId = client.requestReset(email).json().getString("reset_id");
    String code = receiver.awaitCode(resetId);

    ApiResponse reset = whileChainHeld(client.appId(), () -> client.reset(resetId, code, NEW_PASSWORD));

    assertEquals(200, reset.status(), reset.body());
    assertStoredOnce(client.appId(), AuditEvent.PASSWORD_RESET_COMPLETED);
    assertEquals(200, client.login(email, NEW_PASSWORD, "192.0.2.7").status(), "the lock-out was lifted");
  }

  private static PasswordClient newApp(String slug) {
    return PasswordClient.forNewApp(gateway, slug, new JsonObject().put("challenge_required", false)
        .put("otp_resend_cooldown", 0).put("password_max_failures", 3));
  }

  /** A verified user with a password and one session (the signup's): its token response. */
  private static JsonObject signedUp(PasswordClient client, String email) {
    String verificationId = client.signup(email, PASSWORD).json().getString("verification_id");
    ApiResponse verified = client.verify(verificationId, receiver.awaitCode(verificationId));
    assertEquals(200, verified.status(), verified.body());
    return verified.json();
  }

  /** The answer of {@code call} made while another transaction holds the app's audit chain head. */
  private static ApiResponse whileChainHeld(String appId, Supplier<ApiResponse> call) throws Exception {
    Await.until("the app's chain head", Duration.ofSeconds(10),
        () -> gateway.count("SELECT count(*) FROM audit_chain_heads WHERE app_id = '" + appId + "'") == 1);
    try (Connection holder = gateway.jdbc();
         PreparedStatement lock = holder.prepareStatement("SELECT seq FROM audit_chain_heads WHERE app_id = ?::uuid "
             + "FOR UPDATE")) {
      holder.setAutoCommit(false);
      lock.setString(1, appId);
      lock.execute();
      ApiResponse answer = call.get();
      holder.commit();
      return answer;
    }
  }

  private static void assertStoredOnce(String appId, String type) {
    String query = "SELECT count(*) FROM audit_events WHERE app_id = '" + appId + "' AND type = '" + type + "'";
    Await.until(type + " in the chain", Duration.ofSeconds(30), () -> gateway.count(query) >= 1);
    Await.until("the outbox emptied", Duration.ofSeconds(30),
        () -> gateway.count("SELECT count(*) FROM audit_outbox") == 0);
    assertEquals(1, gateway.count(query), type + " events");
  }
}
