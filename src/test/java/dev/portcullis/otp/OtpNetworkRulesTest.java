package dev.portcullis.otp;

import static dev.portcullis.otp.OtpRateLimitTest.assertRateLimited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("OTP limits keyed on the identity and the client network, SMS budgets, requests without client_ip")
class OtpNetworkRulesTest {

  private static final int WITHOUT_CLIENT_IP = 4;
  private static final int SMS_CEILING = 3;
  private static final String USER_NETWORK = "203.0.113.7";
  private static final String STRANGER = "198.51.100.66";
  private static final JsonObject NO_COOLDOWN = new JsonObject().put("otp_resend_cooldown", 0);

  private static WebhookReceiver receiver;
  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    receiver = new WebhookReceiver();
    gateway = TestGateway.start(receiver.channels()
        .put(GatewayConfig.OTP_SENDS_PER_HOUR_WITHOUT_CLIENT_IP, WITHOUT_CLIENT_IP)
        .put(GatewayConfig.SMS_MAX_SENDS_PER_HOUR_PER_APP, SMS_CEILING)
        // signedInNetworksAge signs one identity in from 51 new networks in an hour, each first send from a network
        // that had not signed it in yet; the cap on those sends has its own tests (OtpRecipientCapTest).
        .put(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IDENTITY, 100)
        .put(GatewayConfig.SECURITY_WEBHOOK_URL, receiver.url()));
  }

  @AfterAll
  static void stop() {
    gateway.close();
    receiver.close();
  }

  @Test
  @DisplayName("a stranger's wrong codes lock the identity out on the stranger's network only, for sends and "
      + "verifications (of any network's code): the user still signs in")
  void strangerCannotLockUserOut() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-lockout", NO_COOLDOWN.copy().put("otp_max_attempts", 10));
    String strangers = sent(client, "victim@example.com", STRANGER);
    String code = receiver.awaitCode(strangers);
    String wrong = code.equals("000000") ? "111111" : "000000";
    for (int i = 0; i < 10; i++) {
      assertEquals(401, client.verify(strangers, wrong).status());
    }
    assertRateLimited(client.send("email", "victim@example.com", STRANGER), 50, 60);

    String users = sent(client, "victim@example.com", USER_NETWORK);
    String usersCode = receiver.awaitCode(users);
    ApiResponse fromLockedNetwork = client.verify(new JsonObject().put("otp_request_id", users).put("otp", usersCode)
        .put("client_ip", STRANGER));
    assertRateLimited(fromLockedNetwork, 50, 60);
    assertEquals(200, client.verify(new JsonObject().put("otp_request_id", users).put("otp", usersCode)
        .put("client_ip", USER_NETWORK)).status(), "the user is not locked out, and the refused try spent nothing");
  }

  @Test
  @DisplayName("a lock-out is reported to the security webhook as identity.locked_out, naming the identity's user "
      + "(null when it has none), the identity masked")
  void lockoutReported() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-lockout-event", NO_COOLDOWN.copy().put("otp_max_attempts", 10));
    String first = sent(client, "locked@example.com", USER_NETWORK);
    ApiResponse signedIn = client.verify(new JsonObject().put("otp_request_id", first)
        .put("otp", receiver.awaitCode(first)).put("client_ip", USER_NETWORK));
    String userId = signedIn.json().getJsonObject("user").getString("id");

    JsonObject event = lockOut(client, "locked@example.com");
    assertEquals(userId, event.getString("user_id"), event.encode());
    assertEquals("otp_failures", event.getJsonObject("data").getString("reason"));
    assertTrue(event.getJsonObject("data").getString("email").contains("*"), event.encode());
    assertTrue(!event.encode().contains("locked@example.com"), "no full email");
    assertEquals(null, lockOut(client, "nobody@example.com").getString("user_id"));
  }

  /** Ten wrong codes from the stranger's network; the identity.locked_out event that follows. */
  private static JsonObject lockOut(OtpClient client, String email) {
    String requestId = sent(client, email, STRANGER);
    String code = receiver.awaitCode(requestId);
    String wrong = code.equals("000000") ? "111111" : "000000";
    for (int i = 0; i < 10; i++) {
      client.verify(requestId, wrong);
    }
    String masked = email.charAt(0) + "***" + email.substring(email.indexOf('@'));
    java.util.function.Supplier<java.util.Optional<JsonObject>> event = () -> receiver.calls().stream()
        .map(WebhookReceiver.Call::json)
        .filter(json -> "identity.locked_out".equals(json.getString("type")) && client.appId().equals(json.getString("app_id"))
            && masked.equals(json.getJsonObject("data").getString("email")))
        .findFirst();
    Await.until("identity.locked_out of " + masked, Duration.ofSeconds(10), () -> event.get().isPresent());
    return event.get().orElseThrow();
  }

  @Test
  @DisplayName("a code requested from another network does not cancel the user's pending code")
  void strangerCannotCancelUsersCode() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-replace", NO_COOLDOWN);
    String users = sent(client, "keep@example.com", USER_NETWORK);
    sent(client, "keep@example.com", STRANGER);
    assertEquals(200, client.verify(users, receiver.awaitCode(users)).status());
  }

  @Test
  @DisplayName("a new code from the same network replaces the earlier one")
  void sameNetworkReplaces() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-same", NO_COOLDOWN);
    String first = sent(client, "again@example.com", USER_NETWORK);
    String firstCode = receiver.awaitCode(first);
    sent(client, "again@example.com", "::ffff:" + USER_NETWORK);
    assertEquals("otp_expired", client.verify(first, firstCode).error());
  }

  @Test
  @DisplayName("the hourly send limit of an identity is counted per network: a stranger cannot spend the user's sends")
  void sendsPerIdentityAndNetwork() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-sends", NO_COOLDOWN.copy().put("otp_max_sends_per_hour", 2));
    sent(client, "budget@example.com", STRANGER);
    sent(client, "budget@example.com", STRANGER);
    assertRateLimited(client.send("email", "budget@example.com", STRANGER), 3_500, 3_600);
    assertEquals(200, client.send("email", "budget@example.com", USER_NETWORK).status());
  }

  @Test
  @DisplayName("across networks an identity has at most 3 pending codes; a network that signed it in stays open")
  void pendingCeiling() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-pending", NO_COOLDOWN);
    String home = sent(client, "many@example.com", USER_NETWORK);
    assertEquals(200, client.verify(home, receiver.awaitCode(home)).status());
    for (int i = 1; i <= 3; i++) {
      sent(client, "many@example.com", "192.0.2." + i);
    }
    ApiResponse fourth = client.send("email", "many@example.com", "192.0.2.4");
    assertRateLimited(fourth, 1, 300);
    assertTrue(fourth.json().getString("message").startsWith("email"), fourth.body());
    assertEquals(200, client.send("email", "many@example.com", USER_NETWORK).status(), "the signed-in network");
  }

  @Test
  @DisplayName("the identity keeps the 50 networks that signed it in last; one whose sign-in is over 30 days old is "
      + "open no more past the pending ceiling")
  void signedInNetworksAge() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-age", NO_COOLDOWN);
    for (int i = 1; i <= 51; i++) {
      String requestId = sent(client, "roams@example.com", "10." + i + ".0.1");
      assertEquals(200, client.verify(requestId, receiver.awaitCode(requestId)).status());
    }
    var keys = gateway.redis(io.vertx.redis.client.Command.KEYS,
        gateway.redisPrefix() + "otp-signed-in-at:{" + client.appId() + "}:*");
    assertEquals(1, keys.size());
    String key = keys.get(0).toString();
    assertEquals(50, gateway.redis(io.vertx.redis.client.Command.ZCARD, key).toInteger(), "the 50 newest kept");
    long monthAgo = System.currentTimeMillis() - 31L * 86_400_000;
    for (var member : gateway.redis(io.vertx.redis.client.Command.ZRANGE, key, "0", "-1")) {
      gateway.redis(io.vertx.redis.client.Command.ZADD, key, Long.toString(monthAgo), member.toString());
    }
    for (int i = 1; i <= 3; i++) {
      sent(client, "roams@example.com", "192.0.2." + i);
    }
    assertRateLimited(client.send("email", "roams@example.com", "10.51.0.1"), 1, 300);
  }

  @Test
  @DisplayName("a network an earlier release recorded as signed in (a set, until it expires) stays open")
  void earlierReleasesSignedInSet() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-legacy", NO_COOLDOWN);
    String home = sent(client, "kept@example.com", USER_NETWORK);
    assertEquals(200, client.verify(home, receiver.awaitCode(home)).status());
    String key = gateway.redis(io.vertx.redis.client.Command.KEYS,
        gateway.redisPrefix() + "otp-signed-in-at:{" + client.appId() + "}:*").get(0).toString();
    String network = gateway.redis(io.vertx.redis.client.Command.ZRANGE, key, "0", "-1").get(0).toString();
    gateway.redis(io.vertx.redis.client.Command.DEL, key);
    String legacy = key.replace("otp-signed-in-at:", "otp-signed-in:");
    gateway.redis(io.vertx.redis.client.Command.SADD, legacy, network);
    gateway.redis(io.vertx.redis.client.Command.PEXPIRE, legacy, "60000");
    for (int i = 1; i <= 3; i++) {
      sent(client, "kept@example.com", "192.0.2." + i);
    }
    assertEquals(200, client.send("email", "kept@example.com", USER_NETWORK).status());
  }

  @Test
  @DisplayName("across networks an identity gets at most 3 x otp_max_attempts wrong codes an hour")
  void wrongCodeCeiling() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-wrong", NO_COOLDOWN.copy().put("otp_max_attempts", 2));
    for (int network = 1; network <= 3; network++) {
      String requestId = sent(client, "guess@example.com", "192.0.2." + network);
      String code = receiver.awaitCode(requestId);
      String wrong = code.equals("0000000".substring(0, code.length())) ? "1".repeat(code.length()) : "0".repeat(code.length());
      client.verify(requestId, wrong);
      client.verify(requestId, wrong);
    }
    assertRateLimited(client.send("email", "guess@example.com", "192.0.2.9"), 60, 3_600);
  }

  @Test
  @DisplayName("past the wrong-code ceiling, networks that never signed the identity in get no code checked, right or "
      + "wrong (429 rate_limited); a network that signed it in still verifies")
  void wrongCodeCeilingHoldsAtVerification() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-wrong-verify",
        NO_COOLDOWN.copy().put("otp_max_attempts", 5).put("otp_max_sends_per_hour", 100));
    String home = sent(client, "target@example.com", USER_NETWORK);
    assertEquals(200, verifyFrom(client, home, receiver.awaitCode(home), USER_NETWORK).status());

    List<String> networks = List.of("192.0.2.41", "192.0.2.42", "192.0.2.43", "192.0.2.44", "192.0.2.45");
    Map<String, String> pending = new HashMap<>();
    int wrongCodesChecked = 0;
    for (String network : networks.subList(0, 3)) {
      pending.put(network, sent(client, "target@example.com", network));
    }
    for (String network : networks.subList(0, 2)) {
      wrongCodesChecked += guessToExhaustion(client, pending.get(network), network);
    }
    assertEquals(10, wrongCodesChecked);
    for (String network : networks.subList(3, 5)) {
      pending.put(network, sent(client, "target@example.com", network));
    }
    for (String network : networks.subList(2, 5)) {
      wrongCodesChecked += guessToExhaustion(client, pending.get(network), network);
    }
    assertEquals(15, wrongCodesChecked, "3 x otp_max_attempts wrong codes checked in the hour, not 25");

    String untrusted = pending.get("192.0.2.45");
    ApiResponse rightCode = verifyFrom(client, untrusted, receiver.awaitCode(untrusted), "192.0.2.45");
    assertRateLimited(rightCode, 60, 3_600);
    String again = sent(client, "target@example.com", USER_NETWORK);
    assertEquals(200, verifyFrom(client, again, receiver.awaitCode(again), USER_NETWORK).status(),
        "the network that signed the identity in");
  }

  /**
   * Wrong codes for a pending code, from the network it was sent from, until the request burns (429
   * otp_attempts_exceeded) or the identity's ceiling refuses the check (429 rate_limited): how many were checked.
   */
  private static int guessToExhaustion(OtpClient client, String requestId, String network) {
    String code = receiver.awaitCode(requestId);
    String wrong = code.equals("0".repeat(code.length())) ? "1".repeat(code.length()) : "0".repeat(code.length());
    for (int checked = 0; ; checked++) {
      ApiResponse guess = verifyFrom(client, requestId, wrong, network);
      if (guess.status() != 401) {
        assertEquals(429, guess.status(), guess.body());
        if ("rate_limited".equals(guess.error())) {
          assertRateLimited(guess, 60, 3_600);
        } else {
          assertEquals("otp_attempts_exceeded", guess.error(), guess.body());
        }
        return checked;
      }
      assertEquals("otp_invalid", guess.error(), guess.body());
    }
  }

  private static ApiResponse verifyFrom(OtpClient client, String requestId, String otp, String clientIp) {
    return client.verify(new JsonObject().put("otp_request_id", requestId).put("otp", otp).put("client_ip", clientIp));
  }

  @Test
  @DisplayName("requests without client_ip share one per-app bucket, so omitting it is no way around the per-IP limit")
  void withoutClientIpBucket() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-no-ip", NO_COOLDOWN);
    for (int i = 0; i < WITHOUT_CLIENT_IP; i++) {
      assertEquals(200, client.send("email", "no-ip-" + i + "@example.com").status());
    }
    ApiResponse refused = client.send("email", "no-ip-next@example.com");
    assertRateLimited(refused, 3_500, 3_600);
    assertTrue(refused.json().getString("message").contains("client_ip"), refused.body());
    assertEquals(200, client.send("email", "no-ip-next@example.com", USER_NETWORK).status(), "with a client_ip");
    assertEquals(200, OtpClient.forNewApp(gateway, "net-no-ip-2", NO_COOLDOWN).send("email", "x@example.com").status(),
        "another app has its own bucket");
  }

  @Test
  @DisplayName("an app's SMS budget per country cuts a pumping run off, counted in portcullis_otp_rate_limited_total")
  void smsBudgetPerCountry() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-sms-country",
        NO_COOLDOWN.copy().put("sms_max_sends_per_hour_per_country", 2));
    assertEquals(200, client.send("phone", "+6289123450001", "192.0.2.11").status());
    assertEquals(200, client.send("phone", "+6289123450002", "192.0.2.12").status());
    ApiResponse refused = client.send("phone", "+6289123450003", "192.0.2.13");
    assertRateLimited(refused, 3_500, 3_600);
    assertEquals(200, client.send("phone", "+14155552671", "192.0.2.14").status(), "another country");
    assertTrue(gateway.management().get("/metrics").body()
        .contains("portcullis_otp_rate_limited_total{reason=\"sms_country_hourly\"}"));
  }

  @Test
  @DisplayName("an app's SMS budget per hour is capped by PORTCULLIS_SMS_MAX_SENDS_PER_HOUR_PER_APP")
  void smsBudgetCeiling() {
    OtpClient client = OtpClient.forNewApp(gateway, "net-sms-app", NO_COOLDOWN);
    for (String phone : List.of("+6289123450011", "+14155552672", "+447911123456")) {
      assertEquals(200, client.send("phone", phone, "192.0.2.20").status(), phone);
    }
    assertRateLimited(client.send("phone", "+4915123456789", "192.0.2.21"), 3_500, 3_600);
    assertEquals(200, client.send("email", "still@example.com", "192.0.2.22").status(), "email is not SMS");
    assertTrue(gateway.management().get("/metrics").body()
        .contains("portcullis_otp_rate_limited_total{reason=\"sms_hourly\"}"));
  }

  @Test
  @DisplayName("otp_ttl above 600 seconds is refused")
  void otpTtlCeiling() {
    ApiResponse refused = gateway.http().post("/v1/apps", new JsonObject().put("name", "Long").put("slug", "net-ttl")
        .put("settings", new JsonObject().put("otp_ttl", 601)), dev.portcullis.testing.Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(400, refused.status(), refused.body());
    assertTrue(refused.json().getString("message").contains("otp_ttl"));
  }

  private static String sent(OtpClient client, String email, String clientIp) {
    ApiResponse response = client.send("email", email, clientIp);
    assertEquals(200, response.status(), response.body());
    return response.json().getString("otp_request_id");
  }
}
