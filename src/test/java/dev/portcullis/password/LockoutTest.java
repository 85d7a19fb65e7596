package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import dev.portcullis.security.SecurityEvents;
import dev.portcullis.testing.Await;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Password lock-outs")
class LockoutTest {

  private static final String PASSWORD = "tangerine skyline 42";
  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().auditTap();

  static TestGateway gateway;
  static WebhookReceiver receiver;
  static AuditTap audit;

  @Test
  @DisplayName("after password_max_failures from one network even the right password is refused there until the "
      + "lock-out ends, while the same user signs in from another network")
  void lockedOutFromOneNetwork() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "lo-net", settings());
    List<JsonObject> security = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> tap = gateway.vertx().eventBus()
        .<JsonObject>consumer(SecurityEvents.ADDRESS, message -> security.add(message.body()));
    signUp(client, "quinn@example.com");
    for (int i = 0; i < 3; i++) {
      assertEquals("invalid_credentials", client.login("quinn@example.com", "wrong password " + i, "203.0.113.7").error());
    }
    ApiResponse locked = client.login("quinn@example.com", PASSWORD, "203.0.113.7");
    assertRateLimited(locked, 50, 60);
    assertEquals(200, client.login("quinn@example.com", PASSWORD, "198.51.100.9").status(), "another network is open");
    assertRateLimited(client.login("quinn@example.com", PASSWORD, "203.0.113.7"), 1, 60);
    assertEquals(1, audit.of(AuditEvent.PASSWORD_LOCKED_OUT, client.appId()).size());
    Await.until("identity.locked_out on the security events address", Duration.ofSeconds(5),
        () -> security.stream().anyMatch(event -> SecurityEvents.IDENTITY_LOCKED_OUT.equals(event.getString("type"))
            && client.appId().equals(event.getString("app_id"))));
    JsonObject lockedOut = security.stream().filter(event -> client.appId().equals(event.getString("app_id")))
        .findFirst().orElseThrow();
    assertEquals("q***@example.com", lockedOut.getJsonObject("data").getString("email"), "masked");
    assertTrue(lockedOut.getString("user_id") != null, "the user of the identity");
    tap.unregister();

    endLockouts(client.appId());
    assertEquals(200, client.login("quinn@example.com", PASSWORD, "203.0.113.7").status(), "open again once it ends");
  }

  @Test
  @DisplayName("wrong signup codes burn their request and lock the identity out as a code login's do: otp.burned, "
      + "otp.failed with locked_for, identity.locked_out to the security webhook (h82: none of them)")
  void wrongSignupCodesAreToldAsLoginCodesAre() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "lo-codes", settings().put("otp_resend_cooldown", 0));
    List<JsonObject> security = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> tap = gateway.vertx().eventBus()
        .<JsonObject>consumer(SecurityEvents.ADDRESS, message -> security.add(message.body()));
    String ip = "203.0.113.60";
    ApiResponse signup = client.signup("vera@example.com", PASSWORD, ip);
    assertEquals(202, signup.status(), signup.body());
    String id = signup.json().getString("verification_id");
    for (int round = 0; round < 2; round++) {
      String wrong = wrongCode(receiver.awaitCode(id));
      for (int i = 0; i < 5; i++) {
        client.verify(id, wrong, ip);
      }
      if (round == 0) {
        ApiResponse resent = client.post("/auth/resend-verification", new JsonObject().put("verification_id", id)
            .put("client_ip", ip));
        assertEquals(200, resent.status(), resent.body());
        id = resent.json().getString("verification_id");
      }
    }
    assertTrue(audit.of(AuditEvent.OTP_BURNED, client.appId()).size() >= 1, "the burned request is audited");
    assertTrue(audit.of(AuditEvent.OTP_FAILED, client.appId()).stream()
        .anyMatch(event -> event.getJsonObject("data").containsKey("locked_for")), "the lock-out is audited");
    Await.until("identity.locked_out on the security events address", Duration.ofSeconds(5),
        () -> security.stream().anyMatch(event -> SecurityEvents.IDENTITY_LOCKED_OUT.equals(event.getString("type"))
            && client.appId().equals(event.getString("app_id"))
            && "otp_failures".equals(event.getJsonObject("data").getString("reason"))));
    tap.unregister();
  }

  @Test
  @DisplayName("concurrent guesses check no more passwords than the limits allow: per identity and network, and per "
      + "network across identities")
  void concurrentGuessesStayWithinTheLimits() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "lo-race",
        settings().put("password_max_failures_per_network", 10));
    signUp(client, "race@example.com");
    List<ApiResponse> guesses = concurrently(16, i -> new JsonObject().put("email", "race@example.com")
        .put("password", "wrong password " + i).put("client_ip", "203.0.113.40"), client);
    assertTrue(checked(guesses) <= 3, "at most password_max_failures passwords checked: " + statuses(guesses));
    assertRateLimited(client.login("race@example.com", PASSWORD, "203.0.113.40"), 1, 60);

    List<ApiResponse> spread = concurrently(30, i -> new JsonObject().put("email", "spread" + i + "@example.com")
        .put("password", "wrong password").put("client_ip", "203.0.113.41"), client);
    assertTrue(checked(spread) <= 10, "at most the network's limit checked: " + statuses(spread));
  }

  @Test
  @DisplayName("a right password ends only its own reservation, once, also when the login is refused after it: guesses "
      + "still in flight from the network keep theirs, so no more of the next guesses are checked than the limit allows")
  void successKeepsOtherAttemptsInFlight() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "lo-inflight", settings());
    signUp(client, "flight@example.com");
    assertEquals("invalid_credentials", client.login("flight@example.com", "wrong password", "203.0.113.44").error());
    String key = gateway.redis(Command.KEYS, gateway.redisPrefix() + "pw-id:{" + client.appId() + "}:*")
        .get(0).toString();
    String network = null;
    for (Response field : gateway.redis(Command.HKEYS, key)) {
      if (field.toString().startsWith("n:")) {
        network = field.toString().substring(2);
      }
    }
    long now = gateway.redis(Command.TIME).get(0).toLong() * 1000;
    // A guess from the same network is being checked (reserved by the gate, not yet failed).
    gateway.redis(Command.HSET, key, "p:" + network, "1", "pe:" + network, Long.toString(now + 60_000));

    // Right, then refused for a tenant the user is not in (h31: ended a second time, another guess's reservation).
    ApiResponse foreignTenant = client.post("/auth/login", client.solved("login", "flight@example.com", "203.0.113.44")
        .put("email", "flight@example.com").put("password", PASSWORD).put("client_ip", "203.0.113.44")
        .put("tenant_id", java.util.UUID.randomUUID().toString()));
    assertEquals(403, foreignTenant.status(), foreignTenant.body());
    assertEquals(200, client.login("flight@example.com", PASSWORD, "203.0.113.44").status());
    assertEquals(401, client.login("flight@example.com", "wrong password 1", "203.0.113.44").status());
    assertEquals(401, client.login("flight@example.com", "wrong password 2", "203.0.113.44").status());
    assertEquals(429, client.login("flight@example.com", "wrong password 3", "203.0.113.44").status(),
        "two failures and the guess in flight reach password_max_failures");
  }

  private static List<ApiResponse> concurrently(int count, java.util.function.IntFunction<JsonObject> body,
                                                PasswordClient client) {
    List<java.util.concurrent.CompletableFuture<ApiResponse>> sent = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      sent.add(client.postAsync("/auth/login", body.apply(i)));
    }
    List<ApiResponse> answers = sent.stream().map(java.util.concurrent.CompletableFuture::join).toList();
    answers.forEach(answer -> assertTrue(List.of(200, 401, 429, 503).contains(answer.status()), answer.toString()));
    return answers;
  }

  /** The answers that checked a password: a success, or a counted wrong one. */
  private static long checked(List<ApiResponse> answers) {
    return answers.stream().filter(answer -> answer.status() == 200 || answer.status() == 401).count();
  }

  private static List<Integer> statuses(List<ApiResponse> answers) {
    return answers.stream().map(ApiResponse::status).toList();
  }

  @Test
  @DisplayName("the lock-out's log line carries the id of the request that caused it, not an earlier one's")
  void lockoutLogLineCarriesItsRequestId() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "lo-log", settings());
    List<String[]> lines = new CopyOnWriteArrayList<>();
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(SecurityAlerts.class);
    ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> appender = new ch.qos.logback.core
        .AppenderBase<>() {
      @Override
      protected void append(ch.qos.logback.classic.spi.ILoggingEvent event) {
        lines.add(new String[] {event.getMDCPropertyMap().get("request_id"), event.getFormattedMessage()});
      }
    };
    appender.start();
    logger.addAppender(appender);
    try {
      for (int i = 0; i < 3; i++) {
        client.login("ursa@example.com", "wrong password " + i, "203.0.113.21");
      }
      String causedBy = audit.one(AuditEvent.PASSWORD_LOCKED_OUT, client.appId()).getString("request_id");
      Await.until("the lock-out's log line", Duration.ofSeconds(5),
          () -> lines.stream().anyMatch(line -> line[1].contains(client.appId())));
      String[] line = lines.stream().filter(l -> l[1].contains(client.appId())).findFirst().orElseThrow();
      assertEquals(causedBy, line[0], line[1]);
    } finally {
      logger.detachAppender(appender);
    }
  }

  @Test
  @DisplayName("the next lock-out of that identity and network lasts twice as long")
  void doubling() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "lo-double", settings());
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 3; i++) {
        client.login("rae@example.com", "wrong password " + i, "203.0.113.8");
      }
      if (round == 0) {
        assertRateLimited(client.login("rae@example.com", PASSWORD, "203.0.113.8"), 50, 60);
        endLockouts(client.appId());
      }
    }
    assertRateLimited(client.login("rae@example.com", PASSWORD, "203.0.113.8"), 110, 120);
  }

  @Test
  @DisplayName("failures from many networks never lock the owner out: they raise the identity's difficulty instead")
  void manyNetworksRaiseDifficulty() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "lo-spread", settings());
    signUp(client, "sam@example.com");
    for (int i = 0; i < 4; i++) {
      assertEquals("invalid_credentials", client.login("sam@example.com", "wrong password", "192.0.2." + (10 + i)).error());
    }
    ApiResponse challenge = client.challenge("login", "sam@example.com", "198.51.100.50");
    assertEquals(14, challenge.json().getJsonObject("pow").getInteger("difficulty"), "4 failures: 10 + 2 * log2(4)");
    assertEquals(200, client.login("sam@example.com", PASSWORD, "198.51.100.50").status());
    ApiResponse after = client.challenge("login", "sam@example.com", "198.51.100.50");
    assertEquals(null, after.json().getValue("pow"), "a success clears the identity's counters");
  }

  @Test
  @DisplayName("the identity's state drops the fields of networks with nothing live (window over, no attempt, no recent "
      + "lock-out) at the next failure, and keeps the failing network's")
  void spentNetworksAreDropped() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "lo-prune", settings());
    signUp(client, "spread@example.com");
    for (int i = 0; i < 6; i++) {
      assertEquals("invalid_credentials", client.login("spread@example.com", "wrong password", "192.0.2." + (40 + i)).error());
    }
    var keys = gateway.redis(io.vertx.redis.client.Command.KEYS,
        gateway.redisPrefix() + "pw-id:{" + client.appId() + "}:*");
    assertEquals(1, keys.size());
    String key = keys.get(0).toString();
    var fields = gateway.redis(io.vertx.redis.client.Command.HKEYS, key);
    java.util.List<String> windows = new java.util.ArrayList<>();
    fields.forEach(field -> {
      if (field.toString().startsWith("ne:") || field.toString().startsWith("pe:")) {
        windows.add(field.toString());
      }
    });
    assertTrue(windows.size() >= 6, windows.toString());
    for (String window : windows) {
      gateway.redis(io.vertx.redis.client.Command.HSET, key, window, "1"); // their windows ended long ago
    }
    assertEquals("invalid_credentials", client.login("spread@example.com", "wrong password", "192.0.2.99").error());
    java.util.Set<String> left = new java.util.TreeSet<>();
    gateway.redis(io.vertx.redis.client.Command.HKEYS, key).forEach(field -> left.add(field.toString()));
    // Network names are digests: of the seven networks, only the one failing now keeps its fields.
    assertEquals(1, left.stream().filter(field -> field.startsWith("n:")).count(), "spent networks dropped: " + left);
    assertEquals(1, left.stream().filter(field -> field.startsWith("ne:")).count(), left.toString());
  }

  @Test
  @DisplayName("beyond password_max_failures_per_network failures across identities the network gets 429")
  void perNetworkAcrossIdentities() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "lo-sweep",
        settings().put("password_max_failures_per_network", 10));
    for (int i = 0; i < 10; i++) {
      client.login("user" + i + "@example.com", "wrong password", "203.0.113.99");
    }
    assertRateLimited(client.login("user-next@example.com", "wrong password", "203.0.113.99"), 800, 900);
    assertEquals("invalid_credentials", client.login("user-next@example.com", "wrong password", "203.0.113.100").error());
  }

  @Test
  @DisplayName("a completed reset lifts the identity's lock-outs")
  void resetClears() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "lo-reset", settings().put("otp_resend_cooldown", 0));
    signUp(client, "tia@example.com");
    for (int i = 0; i < 3; i++) {
      client.login("tia@example.com", "wrong password " + i, "203.0.113.30");
    }
    assertRateLimited(client.login("tia@example.com", PASSWORD, "203.0.113.30"), 50, 60);
    String resetId = client.requestReset("tia@example.com").json().getString("reset_id");
    assertEquals(200, client.reset(resetId, receiver.awaitCode(resetId), "marmalade orbit 77").status());
    assertEquals(200, client.login("tia@example.com", "marmalade orbit 77", "203.0.113.30").status());
  }

  private static String wrongCode(String code) {
    return (code.charAt(0) == '0' ? "1" : "0") + code.substring(1);
  }

  private static JsonObject settings() {
    return new JsonObject().put("password_max_failures", 3).put("challenge_required", false);
  }

  private static void signUp(PasswordClient client, String email) {
    ApiResponse signup = client.signup(email, PASSWORD);
    assertEquals(202, signup.status(), signup.body());
    String id = signup.json().getString("verification_id");
    assertEquals(200, client.verify(id, receiver.awaitCode(id)).status());
  }

  /** Ends every lock-out of the app's identities, as the passing of time would. */
  private static void endLockouts(String appId) {
    Response keys = gateway.redis(Command.KEYS, gateway.redisPrefix() + "pw-id:{" + appId + "}:*");
    for (Response key : keys) {
      Response fields = gateway.redis(Command.HKEYS, key.toString());
      for (Response field : fields) {
        if (field.toString().startsWith("nl:")) {
          gateway.redis(Command.HSET, key.toString(), field.toString(), "0");
        }
      }
    }
  }

  static void assertRateLimited(ApiResponse response, long minSeconds, long maxSeconds) {
    assertEquals(429, response.status(), response.body());
    assertEquals("rate_limited", response.error());
    long retryAfter = Long.parseLong(response.header("Retry-After"));
    assertEquals(retryAfter, response.json().getLong("retry_after"));
    assertTrue(retryAfter >= minSeconds && retryAfter <= maxSeconds, "retry after " + retryAfter + " s");
  }
}
