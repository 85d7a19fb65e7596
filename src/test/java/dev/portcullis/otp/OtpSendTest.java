package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.LogCapture;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("POST /auth/send-otp")
class OtpSendTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().auditTap();

  // Set by env before any test of the class runs.
  private static WebhookReceiver receiver;
  private static TestGateway gateway;
  private static AuditTap audit;

  @Test
  @DisplayName("an email code is answered with its request id, channel, expiry and resend delay, and the webhook "
      + "receives it in a correctly signed message naming the app")
  void emailByWebhook() throws Exception {
    OtpClient client = OtpClient.forNewApp(gateway, "send-email", new JsonObject());
    ApiResponse response;
    String code;
    try (LogCapture logs = new LogCapture()) {
      response = client.send("email", "  Alice@Example.COM ");
      assertEquals(200, response.status(), response.body());
      code = receiver.awaitCode(response.json().getString("otp_request_id"));
      assertTrue(logs.lines().stream().noneMatch(line -> line.contains(code)), "the code is in no log line");
    }
    JsonObject body = response.json();
    assertEquals(Set.of("otp_request_id", "channel", "expires_in", "resend_after"), body.fieldNames());
    assertEquals("email", body.getString("channel"));
    assertEquals(300, body.getInteger("expires_in"));
    assertEquals(30, body.getInteger("resend_after"));
    assertFalse(response.body().contains(code), "the code is in no response");

    WebhookReceiver.Call call = receiver.awaitCall(body.getString("otp_request_id"));
    assertEquals("sha256=" + hmacHex(WebhookReceiver.SECRET, call.body()), call.signature());
    JsonObject message = call.json();
    assertEquals(Set.of("channel", "to", "code", "message", "app_id", "otp_request_id", "at"), message.fieldNames());
    // signed with the body, so a receiver can refuse a captured call replayed later (as the security webhook's)
    java.time.Duration age = java.time.Duration.between(java.time.Instant.parse(message.getString("at")),
        java.time.Instant.now());
    assertTrue(!age.isNegative() && age.toSeconds() < 60, "at: " + message.getString("at"));
    assertEquals("email", message.getString("channel"));
    assertEquals("alice@example.com", message.getString("to"));
    assertTrue(code.matches("[0-9]{6}"), code);
    assertEquals(client.appId(), message.getString("app_id"));
    assertTrue(message.getString("message").contains("App send-email"), message.getString("message"));
    assertTrue(message.getString("message").contains(code), message.getString("message"));
  }

  @Test
  @DisplayName("an SMS code goes to the E.164 form of the number, with the app's code length")
  void smsByWebhook() {
    OtpClient client = OtpClient.forNewApp(gateway, "send-sms", new JsonObject().put("otp_length", 8));
    ApiResponse response = client.send("phone", "+62-89123456678");
    assertEquals(200, response.status(), response.body());
    assertEquals("sms", response.json().getString("channel"));
    JsonObject message = receiver.awaitCall(response.json().getString("otp_request_id")).json();
    assertEquals("sms", message.getString("channel"));
    assertEquals("+6289123456678", message.getString("to"));
    assertTrue(message.getString("code").matches("[0-9]{8}"), message.getString("code"));
  }

  @Test
  @DisplayName("a text message carries at most 30 characters of the app's name, so it stays one SMS (160 characters); "
      + "an email carries the whole name (h101)")
  void smsCutsLongAppNames() {
    String name = "Bank alert: card blocked, call +44 20 7946 0000 or visit https://evil.example/x " + "x".repeat(20);
    OtpClient client = new OtpClient(gateway.http(), gateway.createApp(new JsonObject().put("name", name)
        .put("slug", "send-long-name").put("settings", new JsonObject())));
    String sms = receiver.awaitCall(client.sent("phone", "+14155552671")).json().getString("message");
    assertTrue(sms.length() <= 160, sms.length() + " characters: " + sms);
    assertTrue(sms.startsWith("Your " + name.substring(0, 30).trim() + " code is "), sms);
    String email = receiver.awaitCall(client.sent("email", "long@example.com")).json().getString("message");
    assertTrue(email.startsWith("Your " + name + " code is "), email);
  }

  @Test
  @DisplayName("Redis holds the code only as an HMAC, and no key names an email or a phone")
  void redisHoldsNoSecrets() {
    OtpClient client = OtpClient.forNewApp(gateway, "send-redis", new JsonObject());
    String email = client.sent("email", "bob@example.com");
    String phone = client.sent("phone", "+14155552671");
    List<String> keys = keys(gateway.redisPrefix() + "*");
    assertFalse(keys.isEmpty());
    for (String key : keys) {
      assertFalse(key.contains("bob") || key.contains("example") || key.contains("4155552671"), key);
    }
    for (String requestId : List.of(email, phone)) {
      String code = receiver.awaitCode(requestId);
      Response stored = gateway.redis(Command.HGETALL, gateway.redisPrefix() + "otp:{" + client.appId() + "}:" + requestId);
      List<String> values = new ArrayList<>();
      stored.getKeys().forEach(field -> values.add(stored.get(field).toString()));
      assertTrue(stored.getKeys().contains("mac"), stored.toString());
      assertTrue(values.stream().noneMatch(value -> value.contains(code)), "no stored value holds the code");
    }
  }

  @Test
  @DisplayName("exactly one of email and phone: both or neither is 400 invalid_request naming the field")
  void exactlyOneIdentity() {
    OtpClient client = OtpClient.forNewApp(gateway, "send-one", new JsonObject());
    ApiResponse both = client.send(new JsonObject().put("email", "a@example.com").put("phone", "+14155552671"));
    assertEquals(400, both.status());
    assertEquals("invalid_request", both.error());
    assertTrue(both.json().getString("message").startsWith("phone"), both.body());
    ApiResponse neither = client.send(new JsonObject());
    assertEquals(400, neither.status());
    assertTrue(neither.json().getString("message").startsWith("email"), neither.body());
  }

  @Test
  @DisplayName("a malformed or over-long email, an impossible phone, or an email of the wrong type is 400 naming the field")
  void invalidIdentities() {
    OtpClient client = OtpClient.forNewApp(gateway, "send-invalid", new JsonObject());
    String longEmail = "a".repeat(250) + "@example.com";
    for (String email : List.of("not-an-email", "a@b", longEmail)) {
      ApiResponse response = client.send("email", email);
      assertEquals(400, response.status(), email);
      assertEquals("invalid_request", response.error());
      assertTrue(response.json().getString("message").startsWith("email"), response.body());
    }
    for (String phone : List.of("+1 2", "12345", "+62 8912345667812345678")) {
      ApiResponse response = client.send("phone", phone);
      assertEquals(400, response.status(), phone);
      assertTrue(response.json().getString("message").startsWith("phone"), response.body());
    }
    ApiResponse wrongType = client.send(new JsonObject().put("email", 42));
    assertEquals(400, wrongType.status());
    assertTrue(wrongType.json().getString("message").startsWith("email"), wrongType.body());
  }

  @Test
  @DisplayName("a channel the app does not allow is 400 invalid_request naming the field")
  void channelNotAllowed() {
    OtpClient client = OtpClient.forNewApp(gateway, "send-email-only",
        new JsonObject().put("otp_channels", new JsonArray().add("email")));
    ApiResponse response = client.send("phone", "+14155552671");
    assertEquals(400, response.status());
    assertEquals("invalid_request", response.error());
    assertTrue(response.json().getString("message").startsWith("phone"), response.body());
    assertEquals(200, client.send("email", "carol@example.com").status());
  }

  @Test
  @DisplayName("a channel the app just stopped allowing is refused at once: no SMS goes out after the PATCH answered")
  void channelChangeAppliesAtOnce() {
    OtpClient client = OtpClient.forNewApp(gateway, "send-channel-change", new JsonObject());
    for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
      // round robin across the OTP service's instances: each caches the app's settings
      assertEquals(200, client.send("phone", "+1415555" + (2000 + i)).status());
    }
    ApiResponse patched = gateway.http().send("PATCH", "/v1/apps/" + client.appId(),
        new JsonObject().put("settings", new JsonObject().put("otp_channels", new JsonArray().add("email"))).encode(),
        "Content-Type", "application/json", "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
    assertEquals(200, patched.status(), patched.body());

    for (int i = 0; i < 4; i++) {
      ApiResponse response = client.send("phone", "+1415555" + (3000 + i));
      assertEquals(400, response.status(), response.body());
      assertTrue(response.json().getString("message").startsWith("phone"), response.body());
    }
  }

  @Test
  @DisplayName("an SMS to a country outside sms_allowed_countries is 403 forbidden naming the country")
  void countryNotAllowed() {
    OtpClient client = OtpClient.forNewApp(gateway, "send-countries",
        new JsonObject().put("sms_allowed_countries", new JsonArray().add("ID").add("CA")));
    ApiResponse us = client.send("phone", "+1 415 555 2671");
    assertEquals(403, us.status());
    assertEquals("forbidden", us.error());
    assertTrue(us.json().getString("message").contains("US"), us.body());
    assertEquals(200, client.send("phone", "+1 613 555 0123").status(), "Canada shares +1 and is allowed");
    assertEquals(200, client.send("phone", "+62 891 2345 6678").status());
  }

  @Test
  @DisplayName("an SMS to a premium-rate or shared-cost number is 403 forbidden whatever the app's countries: a stranger "
      + "would spend the operator's money on the number's owner (h58)")
  void premiumRateRefused() {
    OtpClient client = OtpClient.forNewApp(gateway, "send-premium", new JsonObject());
    // The last three are a digit too long or too short for their premium range (h62: possible, not valid, and sent).
    for (String premium : List.of("+979123456789", "+1 900 555 0100", "+44 909 879 0000", "+4990012345678",
        "+49900123456", "+61190012345")) {
      ApiResponse refused = client.send("phone", premium);
      assertEquals(403, refused.status(), premium + ": " + refused.body());
      assertEquals("forbidden", refused.error());
      assertTrue(refused.json().getString("message").contains("premium-rate"), refused.body());
    }
    assertEquals(200, client.send("phone", "+44 7700 900123").status(), "a mobile number of the same country");
    assertEquals(200, client.send("phone", "+49 1512 34567890").status(), "a mobile number a digit too long");
  }

  @Test
  @DisplayName("a send is counted per channel and audited with a masked address, never the code")
  void countedAndAudited() {
    OtpClient client = OtpClient.forNewApp(gateway, "send-metrics", new JsonObject());
    String requestId = client.sent("email", "dave@example.com");
    String code = receiver.awaitCode(requestId);
    String metrics = gateway.management().get("/metrics").body();
    assertTrue(metrics.contains("portcullis_otp_sent_total{channel=\"email\"}"), "sent counter by channel");
    assertFalse(metrics.contains("dave"), "no address in any label");

    Await.until("the otp.sent event", Duration.ofSeconds(5), () -> !audit.events(AuditEvent.OTP_SENT, requestId).isEmpty());
    JsonObject event = audit.events(AuditEvent.OTP_SENT, requestId).get(0);
    assertEquals(client.appId(), event.getString("app_id"));
    assertEquals("d***@example.com", event.getJsonObject("data").getString("to"));
    assertNotEquals(-1, event.encode().indexOf("email"));
    assertFalse(event.encode().contains(code), "the code is not audited");
    assertFalse(event.encode().contains("dave@"), "the full address is not audited");
  }

  @Test
  @DisplayName("ten sends at once to one identity of an app without a resend cooldown are all answered 200, and only "
      + "one of their codes is left alive")
  void concurrentSendsReplaceEachOther() {
    OtpClient client = OtpClient.forNewApp(gateway, "send-burst",
        new JsonObject().put("otp_resend_cooldown", 0).put("otp_max_sends_per_hour", 20));
    List<CompletableFuture<ApiResponse>> sends = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      sends.add(client.sendAsync("email", "burst@example.com"));
    }
    List<String> requestIds = new ArrayList<>();
    for (CompletableFuture<ApiResponse> send : sends) {
      ApiResponse response = send.join();
      assertEquals(200, response.status(), response.body());
      requestIds.add(response.json().getString("otp_request_id"));
    }
    List<String> alive = keys(gateway.redisPrefix() + "otp:{" + client.appId() + "}:*");
    assertEquals(1, alive.size(), alive.toString());
    assertTrue(requestIds.stream().anyMatch(id -> alive.get(0).endsWith(":" + id)), alive.toString());
  }

  private static List<String> keys(String pattern) {
    List<String> keys = new ArrayList<>();
    String cursor = "0";
    do {
      Response page = gateway.redis(Command.SCAN, cursor, "MATCH", pattern, "COUNT", "1000");
      cursor = page.get(0).toString();
      page.get(1).forEach(key -> keys.add(key.toString()));
    } while (!"0".equals(cursor));
    return keys;
  }

  static String hmacHex(String secret, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(body));
  }
}
