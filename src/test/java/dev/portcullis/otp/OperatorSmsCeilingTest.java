package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The operator's SMS ceilings per owner (across their apps) and per gateway")
class OperatorSmsCeilingTest {

  private static final int PER_APP = 3;
  private static final int PER_OWNER = 4;
  private static final int PER_GATEWAY = 6;

  private static WebhookReceiver receiver;
  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    receiver = new WebhookReceiver();
    gateway = TestGateway.start(SignIns.webhookConfig(receiver)
        .put(GatewayConfig.SMS_MAX_SENDS_PER_HOUR_PER_APP, PER_APP)
        .put(GatewayConfig.SMS_MAX_SENDS_PER_HOUR_PER_OWNER, PER_OWNER)
        .put(GatewayConfig.SMS_MAX_SENDS_PER_HOUR, PER_GATEWAY));
  }

  @AfterAll
  static void stop() {
    gateway.close();
    receiver.close();
  }

  private static OtpClient ownersApp(String ownerToken, String slug) {
    ApiResponse created = gateway.http().post("/v1/apps", new JsonObject().put("name", "App " + slug).put("slug", slug)
        .put("settings", new JsonObject().put("otp_resend_cooldown", 0)), Http.bearer(ownerToken));
    assertEquals(201, created.status(), created.body());
    return new OtpClient(gateway.http(), created.json());
  }

  private static void sends(OtpClient client, String phone) {
    ApiResponse sent = client.send("phone", phone, "192.0.2.30");
    assertEquals(200, sent.status(), phone + ": " + sent.body());
  }

  private static void refused(ApiResponse answer, String wording, String reason) {
    assertEquals(429, answer.status(), answer.body());
    assertEquals("rate_limited", answer.error());
    assertTrue(answer.json().getString("message").contains(wording), answer.body());
    long retryAfter = Long.parseLong(answer.header("Retry-After"));
    assertTrue(retryAfter > 3_000 && retryAfter <= 3_600, "until the hour ends: " + retryAfter);
    assertTrue(gateway.management().get("/metrics").body()
        .contains("portcullis_otp_rate_limited_total{reason=\"" + reason + "\"}"), reason);
  }

  @Test
  @DisplayName("an owner's apps share the owner's ceiling, client apps the gateway's; sends the app's own limits "
      + "refuse take no place, even many at once, and the console's requests that send nothing take none")
  void ceilings() {
    for (int i = 0; i < PER_APP; i++) {
      // Not owners, and the console sends no SMS: a request the same as an owner's, with no SMS sent (it spends the
      // console's own budget, capped like any app's by PER_APP). Charged to the gateway's, alice's last would fail.
      assertEquals(200, gateway.http().post("/v1/owners/send-otp", new JsonObject().put("phone", "+1415555020" + i))
          .status());
    }
    String alice = SignIns.owner(gateway, receiver, "alice-sms@example.com").getString("access_token");
    String bob = SignIns.owner(gateway, receiver, "bob-sms@example.com").getString("access_token");
    OtpClient first = ownersApp(alice, "sms-alice-1");
    OtpClient second = ownersApp(alice, "sms-alice-2");
    OtpClient bobs = ownersApp(bob, "sms-bob-1");

    sends(first, "+14155550101");
    sends(first, "+14155550102");
    sends(first, "+14155550103");
    // The first app's budget is spent: a burst of its sends, each refused by it, beside one of the second app's.
    List<CompletableFuture<ApiResponse>> doomed = IntStream.range(0, 20)
        .mapToObj(i -> first.sendAsync("phone", "+1415555011" + (i % 10))).toList();
    ApiResponse pending = second.send("phone", "+14155550104", "192.0.2.30");
    assertEquals(200, pending.status(), pending.body());
    for (ApiResponse refusal : doomed.stream().map(CompletableFuture::join).toList()) {
      assertEquals(429, refusal.status(), refusal.body());
      // The app's budget, or, once the second app's send took the owner's last place, the owner's (seen spent).
      assertTrue(refusal.json().getString("message").contains("this app's SMS budget")
          || refusal.json().getString("message").contains("owner"), refusal.body());
    }
    refused(second.send("phone", "+14155550105", "192.0.2.30"), "owner", OperatorSmsBudget.OWNER_HOURLY);
    // While the ceiling is spent, a send is refused before the app counts it or it replaces the pending code (h87:
    // refused sends spent the app's budgets for the next hour and expired the code the user had).
    refused(second.send("phone", "+14155550104", "192.0.2.30"), "owner", OperatorSmsBudget.OWNER_HOURLY);
    String requestId = pending.json().getString("otp_request_id");
    assertEquals(200, second.verify(requestId, receiver.awaitCode(requestId)).status(), "the pending code still works");
    assertEquals(200, second.send("email", "still@example.com", "192.0.2.30").status(), "email is not SMS");

    sends(bobs, "+14155550106");
    sends(bobs, "+14155550107");
    refused(bobs.send("phone", "+14155550108", "192.0.2.30"), "service", OperatorSmsBudget.GATEWAY_HOURLY);
  }
}
