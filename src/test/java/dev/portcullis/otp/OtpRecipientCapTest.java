package dev.portcullis.otp;

import static dev.portcullis.otp.OtpRateLimitTest.assertRateLimited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.hosted.FormBrowser;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Probe h32: a stranger rotating client networks (IPv6 /64s) had codes sent to one address up to the per-network
 * limit from each, bounded across networks only by the 3 pending codes, which free up as codes expire: about 120
 * emails an hour. An identity is now sent at most PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IDENTITY (default 10) codes an
 * hour by networks that never signed it in; networks that did are not limited by it.
 */
@DisplayName("OTP sends to one identity from networks that never signed it in are capped per hour across networks")
class OtpRecipientCapTest {

  /** The default of PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IDENTITY: this class's gateway does not set it. */
  private static final int CAP = 10;
  private static final String HOME = "203.0.113.7";

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().auditTap();

  private static TestGateway gateway;
  private static WebhookReceiver receiver;
  private static AuditTap audit;

  @Test
  @DisplayName("the 11th send in an hour from networks that never signed the identity in is 429 rate_limited with "
      + "Retry-After until the hour's oldest send leaves it, counted and audited by its own reason; the network that "
      + "signed the identity in still gets its code, and other identities are not limited")
  void capAcrossNetworks() {
    OtpClient client = OtpClient.forNewApp(gateway, "cap-otp", new JsonObject().put("otp_resend_cooldown", 0));
    // The first send from home counts: home had not signed the identity in yet.
    String home = sent(client, "victim@example.com", HOME);
    assertEquals(200, client.verify(new JsonObject().put("otp_request_id", home)
        .put("otp", receiver.awaitCode(home)).put("client_ip", HOME)).status(), "the user signs in at home");

    for (int i = 1; i < CAP; i++) {
      expirePendingCodes(client.appId());
      sent(client, "victim@example.com", network(i));
    }
    expirePendingCodes(client.appId());
    ApiResponse refused = client.send("email", "victim@example.com", network(CAP));
    assertRateLimited(refused, 3_400, 3_600);
    assertTrue(refused.json().getString("message").startsWith("email: too many codes were sent to this email"),
        refused.body());
    assertRateLimited(client.send("email", "VICTIM@example.com", network(CAP + 2)), 3_400, 3_600);
    // h36: a +tag is another identity, but the same inbox
    assertRateLimited(client.send("email", "victim+shop@example.com", network(CAP + 3)), 3_400, 3_600);

    assertTrue(gateway.management().get("/metrics").body()
        .contains("portcullis_otp_rate_limited_total{reason=\"identity_untrusted_hourly\"}"), "counted by reason");
    Await.until("the rate_limited event", Duration.ofSeconds(5), () -> audit.of(AuditEvent.RATE_LIMITED,
            client.appId()).stream()
        .anyMatch(event -> "identity_untrusted_hourly".equals(event.getJsonObject("data").getString("reason"))));

    String again = sent(client, "victim@example.com", HOME);
    assertEquals(200, client.verify(new JsonObject().put("otp_request_id", again)
        .put("otp", receiver.awaitCode(again)).put("client_ip", HOME)).status(),
        "the network that signed the identity in is not limited by strangers' sends");
    assertEquals(200, client.send("email", "someone-else@example.com", network(CAP + 1)).status(),
        "another identity has its own cap");
  }

  @Test
  @DisplayName("one network's sends to an inbox's +tags share otp_max_sends_per_hour, with or without client_ip "
      + "(probe h41: each tag had its own, so one network spent the inbox's whole cap)")
  void tagsShareTheNetworkLimit() {
    OtpClient client = OtpClient.forNewApp(gateway, "cap-otp-tags", new JsonObject().put("otp_resend_cooldown", 0)
        .put("otp_max_sends_per_hour", 3));
    for (int i = 1; i <= 3; i++) {
      sent(client, "tagged+" + i + "@example.com", HOME);
      assertEquals(200, client.send("email", "untagged+" + i + "@example.com").status(), "without client_ip");
    }
    assertRateLimited(client.send("email", "tagged+4@example.com", HOME), 3_400, 3_600);
    assertRateLimited(client.send("email", "untagged+4@example.com"), 3_400, 3_600);
    assertEquals(200, client.send("email", "tagged+4@example.com", network(1)).status(),
        "another network has its own limit");
  }

  @Test
  @DisplayName("sends from a network that signed the identity in do not count on the cap")
  void trustedSendsDoNotCount() {
    OtpClient client = OtpClient.forNewApp(gateway, "cap-otp-home", new JsonObject().put("otp_resend_cooldown", 0)
        .put("otp_max_sends_per_hour", 20));
    String home = sent(client, "roamer@example.com", HOME);
    assertEquals(200, client.verify(new JsonObject().put("otp_request_id", home)
        .put("otp", receiver.awaitCode(home)).put("client_ip", HOME)).status());
    for (int i = 0; i < CAP + 2; i++) {
      sent(client, "roamer@example.com", HOME);
    }
    // home's first send, before it signed in, and these make the cap; the sends from home since counted nothing
    for (int i = 1; i < CAP; i++) {
      expirePendingCodes(client.appId());
      sent(client, "roamer@example.com", network(i));
    }
    expirePendingCodes(client.appId());
    assertRateLimited(client.send("email", "roamer@example.com", network(CAP)), 3_400, 3_600);
  }

  @Test
  @DisplayName("the hosted pages' sends (anonymous) meet the same cap: past it the page asks to try again later")
  void hostedPagesCapped() {
    String callback = "https://shop.example.com/auth/callback";
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Shop cap").put("slug", "cap-hosted")
        .put("callback_urls", new JsonArray().add(callback)).put("settings", new JsonObject()
            .put("hosted_password", false).put("otp_resend_cooldown", 0).put("otp_max_sends_per_hour", 2 * CAP)));
    // The pages see the test's own address, a network that never signed the identity in: above the per-network
    // limit of 5 (raised here to 20), the cap across networks is what refuses.
    for (int i = 1; i <= CAP; i++) {
      FormBrowser.Page page = hostedIdentity(app, callback, "hosted-victim@example.com");
      assertTrue(page.body().contains("name=\"code\""), i + ": " + page);
    }
    FormBrowser.Page refused = hostedIdentity(app, callback, "hosted-victim@example.com");
    assertFalse(refused.body().contains("name=\"code\""), refused.toString());
    assertTrue(refused.body().contains("Too many attempts. Try again in"), refused.toString());
    assertTrue(hostedIdentity(app, callback, "hosted-other@example.com").body().contains("name=\"code\""),
        "another identity has its own cap");
  }

  private static FormBrowser.Page hostedIdentity(JsonObject app, String callback, String email) {
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    FormBrowser.Page start = browser.get("/onboarding/" + app.getString("app_id") + "?state=cap&callback_url="
        + FormBrowser.encode(callback));
    return browser.submit(start, Map.of("identity", email));
  }

  /** A client IP in the i-th IPv6 /64 of a documentation /48: each is a network of its own. */
  private static String network(int i) {
    return "2001:db8:77:" + Integer.toHexString(i) + "::1";
  }

  private static String sent(OtpClient client, String email, String clientIp) {
    ApiResponse response = client.send("email", email, clientIp);
    assertEquals(200, response.status(), clientIp + ": " + response.body());
    return response.json().getString("otp_request_id");
  }

  /** As the codes' 300 s would: the 3 pending codes across networks stop refusing sends. */
  private static void expirePendingCodes(String appId) {
    for (var key : gateway.redis(Command.KEYS, gateway.redisPrefix() + "otp-pending:{" + appId + "}:*")) {
      gateway.redis(Command.DEL, key.toString());
    }
  }
}
