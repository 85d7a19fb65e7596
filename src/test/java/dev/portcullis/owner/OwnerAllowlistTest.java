package dev.portcullis.owner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Owner sign-up with PORTCULLIS_OWNER_SIGNUP=allowlist")
class OwnerAllowlistTest {

  private static WebhookReceiver inbox;
  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    inbox = new WebhookReceiver();
    gateway = TestGateway.start(inbox.channels()
        .put(GatewayConfig.OWNER_SIGNUP, "allowlist")
        .put(GatewayConfig.OWNER_ALLOWLIST, "@corp.example, boss@elsewhere.example"));
  }

  @AfterAll
  static void stop() {
    gateway.close();
    inbox.close();
  }

  @Test
  @DisplayName("emails of a listed domain and listed emails sign up; others get the answer but no code")
  void allowlist() {
    SignIns.owner(gateway, inbox, "anyone@corp.example");
    SignIns.owner(gateway, inbox, "Boss@Elsewhere.example");
    ApiResponse other = gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", "x@elsewhere.example"));
    assertEquals(200, other.status());
    String refusedId = other.json().getString("otp_request_id");
    ApiResponse listed = gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", "late@corp.example"));
    // Codes are delivered in order: once the later, listed one arrived, the unlisted one would have too.
    inbox.awaitCall(listed.json().getString("otp_request_id"));
    assertTrue(inbox.callsFor(refusedId).isEmpty(), "no code for an unlisted email");
  }
}
