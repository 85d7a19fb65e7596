package dev.portcullis.owner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Owner sign-up: closed by default, POST /v1/owners, the console's settings, apps per owner")
class OwnerSignupTest {

  private static final String CONSOLE = "/v1/apps/00000000-0000-0000-0000-000000000001";

  private static WebhookReceiver inbox;
  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    inbox = new WebhookReceiver();
    gateway = TestGateway.start(inbox.channels()
        .put(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IP, 1000)
        .put(GatewayConfig.SECURITY_WEBHOOK_URL, inbox.url())
        .put(GatewayConfig.MAX_APPS_PER_OWNER, 2));
  }

  @AfterAll
  static void stop() {
    gateway.close();
    inbox.close();
  }

  @Test
  @DisplayName("with sign-up closed, an unknown email asking for a code gets the usual answer but no code")
  void closedSendsNoCode() {
    ApiResponse sent = gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", "stranger@example.com"));
    assertEquals(200, sent.status(), sent.body());
    String requestId = sent.json().getString("otp_request_id");
    assertNotNull(requestId);
    assertEquals(300, sent.json().getInteger("expires_in"));
    assertNotNull(sent.json().getInteger("resend_after"));
    Await.until("the refusal reported", Duration.ofSeconds(10), () -> !refusals().isEmpty());
    assertTrue(inbox.callsFor(requestId).isEmpty(), "no code was sent");
    ApiResponse verified = gateway.http().post("/v1/owners/verify-otp",
        new JsonObject().put("otp_request_id", requestId).put("otp", "123456"));
    assertEquals("otp_invalid", verified.error(), "a wrong code, as for an owner: " + verified.body());
    assertEquals(4, verified.json().getInteger("attempts_left"));
    ApiResponse again = gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", "stranger@example.com"));
    assertEquals(429, again.status(), "the resend cooldown holds, as for an owner: " + again.body());

    ApiResponse created = gateway.http().post("/v1/owners", new JsonObject().put("email", "known@example.com"),
        Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(201, created.status(), created.body());
    ApiResponse owner = gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", "known@example.com"));
    assertEquals(200, owner.status(), owner.body());
    ApiResponse ownerWrong = gateway.http().post("/v1/owners/verify-otp",
        new JsonObject().put("otp_request_id", owner.json().getString("otp_request_id")).put("otp", "000000x"));
    assertEquals(verified.error(), ownerWrong.error());
    assertEquals(429, gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", "known@example.com"))
        .status());
  }

  @Test
  @DisplayName("owner.signup_refused reaches the security webhook at most once a minute per network")
  void refusalReportedOncePerMinute() {
    for (int i = 0; i < 3; i++) {
      assertEquals(200, gateway.http().post("/v1/owners/send-otp",
          new JsonObject().put("email", "pump" + i + "@example.com")).status());
    }
    Await.until("a refusal reported", Duration.ofSeconds(10), () -> !refusals().isEmpty());
    assertEquals(1, refusals().size(), "one report for one network within a minute");
    assertTrue(!refusals().get(0).encode().contains("pump0@") && !refusals().get(0).encode().contains("pump1@"),
        "the email is masked");
  }

  @Test
  @DisplayName("the operator creates an owner with POST /v1/owners, who then signs in with a code")
  void operatorCreatesOwner() {
    ApiResponse created = gateway.http().post("/v1/owners", new JsonObject().put("email", "Dev@Example.com"),
        Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(201, created.status(), created.body());
    assertEquals("dev@example.com", created.json().getJsonObject("owner").getString("email"));
    assertEquals(409, gateway.http().post("/v1/owners", new JsonObject().put("email", "dev@example.com"),
        Http.bearer(TestGateway.ADMIN_KEY)).status());

    JsonObject owner = SignIns.owner(gateway, inbox, "dev@example.com");
    assertEquals(created.json().getJsonObject("owner").getString("id"), owner.getJsonObject("owner").getString("id"));
    ApiResponse byOwner = gateway.http().post("/v1/owners", new JsonObject().put("email", "friend@example.com"),
        Http.bearer(owner.getString("access_token")));
    assertEquals(403, byOwner.status(), byOwner.body());
    assertEquals("forbidden", byOwner.error());
  }

  @Test
  @DisplayName("an owner at PORTCULLIS_MAX_APPS_PER_OWNER apps gets 403 forbidden")
  void appsPerOwnerCapped() {
    gateway.http().post("/v1/owners", new JsonObject().put("email", "busy@example.com"), Http.bearer(TestGateway.ADMIN_KEY));
    String token = SignIns.owner(gateway, inbox, "busy@example.com").getString("access_token");
    for (int i = 1; i <= 2; i++) {
      ApiResponse app = gateway.http().post("/v1/apps", new JsonObject().put("name", "A" + i).put("slug", "busy-" + i),
          Http.bearer(token));
      assertEquals(201, app.status(), app.body());
    }
    ApiResponse third = gateway.http().post("/v1/apps", new JsonObject().put("name", "A3").put("slug", "busy-3"),
        Http.bearer(token));
    assertEquals(403, third.status(), third.body());
    assertEquals("forbidden", third.error());
    assertEquals(201, gateway.http().post("/v1/apps", new JsonObject().put("name", "Op").put("slug", "busy-op"),
        Http.bearer(TestGateway.ADMIN_KEY)).status(), "the operator is not limited");
  }

  @Test
  @DisplayName("an owner creates at most 40 apps an hour, deletions or not: beyond, 429 before any key is made; refusals do not count")
  void appCreationsPerHourCapped() {
    gateway.http().post("/v1/owners", new JsonObject().put("email", "churn@example.com"), Http.bearer(TestGateway.ADMIN_KEY));
    String[] owner = Http.bearer(SignIns.owner(gateway, inbox, "churn@example.com").getString("access_token"));
    ApiResponse kept = gateway.http().post("/v1/apps", new JsonObject().put("name", "K").put("slug", "churn-kept"), owner);
    assertEquals(201, kept.status(), kept.body());
    for (int i = 0; i < 5; i++) {
      assertEquals(409, gateway.http().post("/v1/apps", new JsonObject().put("name", "K").put("slug", "churn-kept"),
          owner).status(), "a taken slug is refused before it counts");
    }
    for (int i = 1; i < 40; i++) {
      ApiResponse app = gateway.http().post("/v1/apps", new JsonObject().put("name", "C" + i).put("slug", "churn-" + i),
          owner);
      assertEquals(201, app.status(), i + ": " + app.body());
      assertEquals(200, gateway.http().delete("/v1/apps/" + app.json().getString("app_id"), owner).status());
    }
    ApiResponse over = gateway.http().post("/v1/apps", new JsonObject().put("name", "C40").put("slug", "churn-40"),
        owner);
    assertEquals(429, over.status(), over.body());
    assertEquals("rate_limited", over.error());
    assertTrue(Long.parseLong(over.header("Retry-After")) > 0);
    assertEquals(0, gateway.count("SELECT count(*) FROM apps WHERE slug = 'churn-40'"));
  }

  @Test
  @DisplayName("the console's settings are the operator's alone, and send owner codes by email only by default")
  void consoleSettings() {
    ApiResponse read = gateway.http().get(CONSOLE, Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(200, read.status(), read.body());
    assertEquals(new JsonArray().add("email"), read.json().getJsonObject("settings").getJsonArray("otp_channels"));

    gateway.http().post("/v1/owners", new JsonObject().put("email", "curious@example.com"), Http.bearer(TestGateway.ADMIN_KEY));
    String token = SignIns.owner(gateway, inbox, "curious@example.com").getString("access_token");
    assertEquals(404, gateway.http().get(CONSOLE, Http.bearer(token)).status());
    assertEquals(404, gateway.http().patch(CONSOLE, new JsonObject().put("settings",
        new JsonObject().put("otp_length", 8)), Http.bearer(token)).status());

    ApiResponse changed = gateway.http().patch(CONSOLE, new JsonObject().put("settings",
        new JsonObject().put("otp_resend_cooldown", 5)), Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(200, changed.status(), changed.body());
    assertEquals(5, changed.json().getJsonObject("settings").getInteger("otp_resend_cooldown"));
    assertEquals(400, gateway.http().patch(CONSOLE, new JsonObject().put("name", "Mine"),
        Http.bearer(TestGateway.ADMIN_KEY)).status());
  }

  @Test
  @DisplayName("an owner who has only a phone still gets the code by SMS; a new phone does not")
  void phoneOnlyOwnerKeepsSms() {
    ApiResponse created = gateway.http().post("/v1/owners", new JsonObject().put("phone", "+6289123400077"),
        Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(201, created.status(), created.body());
    ApiResponse sent = gateway.http().post("/v1/owners/send-otp", new JsonObject().put("phone", "+62 891 2340 0077"));
    assertEquals(200, sent.status(), sent.body());
    assertEquals("sms", inbox.awaitCall(sent.json().getString("otp_request_id")).json().getString("channel"));
  }

  @Test
  @DisplayName("with sign-up open, a phone while the console sends no SMS gets a silent request, audited as otp.withheld")
  void smsWithheldIsAudited() {
    try (TestGateway open = TestGateway.start(new JsonObject().put(GatewayConfig.OWNER_SIGNUP, "open"))) {
      ApiResponse sent = open.http().post("/v1/owners/send-otp", new JsonObject().put("phone", "+6289123400055"),
          "X-Request-Id", "withheld-sms");
      assertEquals(200, sent.status(), sent.body());
      List<JsonObject> rows = dev.portcullis.audit.AuditTrail.ofRequest(open, "withheld-sms");
      assertTrue(rows.stream().anyMatch(row -> "otp.withheld".equals(row.getString("type"))
          && "sms_off".equals(row.getJsonObject("data").getString("reason"))), rows.toString());
    }
  }

  @Test
  @DisplayName("a stranger's flood of the console writes no audit row per request: 429s and unknown code requests are counted only")
  void strangersCannotGrowTheAuditLog() {
    try (TestGateway closed = TestGateway.start(new JsonObject().put(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IP, 3))) {
      java.util.UUID console = java.util.UUID.fromString("00000000-0000-0000-0000-000000000001");
      int before = dev.portcullis.audit.AuditTrail.rows(closed, console).size();
      for (int i = 0; i < 20; i++) {
        ApiResponse verified = closed.http().post("/v1/owners/verify-otp", new JsonObject()
            .put("otp_request_id", java.util.UUID.randomUUID().toString()).put("otp", "123456"));
        assertEquals("otp_expired", verified.error(), verified.body());
        closed.http().post("/v1/owners/send-otp", new JsonObject().put("email", "flood" + i + "@example.com"));
      }
      List<JsonObject> written = dev.portcullis.audit.AuditTrail.rows(closed, console);
      List<String> types = written.subList(before, written.size()).stream().map(row -> row.getString("type")).toList();
      assertEquals(List.of("owner.signup_refused", "owner.signup_refused", "owner.signup_refused"), types,
          "the three sends within the per-IP limit, nothing for the 17 refused nor the 20 unknown ids");
    }
  }

  @Test
  @DisplayName("the console's channels and countries answer an owner's identity and a stranger's alike")
  void consolePolicyTellsNoOwnerApart() {
    String[] admin = Http.bearer(TestGateway.ADMIN_KEY);
    assertEquals(201, gateway.http().post("/v1/owners", new JsonObject().put("email", "held@example.com"), admin).status());
    assertEquals(201, gateway.http().post("/v1/owners", new JsonObject().put("phone", "+6289123400088"), admin).status());
    try {
      consoleSettings(new JsonObject().put("otp_channels", new JsonArray().add("sms")), "email", 400);
      ApiResponse owner = gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", "held@example.com"));
      ApiResponse stranger = gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", "nobody@example.com"));
      assertEquals(owner.status() + " " + owner.json().getString("message"),
          stranger.status() + " " + stranger.json().getString("message"));

      consoleSettings(new JsonObject().put("otp_channels", new JsonArray().add("email").add("sms"))
          .put("sms_allowed_countries", new JsonArray().add("US")), "phone", 403);
      ApiResponse phoneOwner = gateway.http().post("/v1/owners/send-otp", new JsonObject().put("phone", "+6289123400088"));
      ApiResponse phoneStranger = gateway.http().post("/v1/owners/send-otp",
          new JsonObject().put("phone", "+6289123400099"));
      assertEquals(phoneOwner.status() + " " + phoneOwner.json().getString("message"),
          phoneStranger.status() + " " + phoneStranger.json().getString("message"));
    } finally {
      consoleSettings(new JsonObject().put("otp_channels", new JsonArray().add("email")).putNull("sms_allowed_countries"),
          "email", 200);
    }
  }

  @Test
  @DisplayName("with sign-up closed, the console's SMS budget per country answers an owner's phone and a refused "
      + "stranger's alike: whichever comes first spends it")
  void smsBudgetTellsNoOwnerApartWhenClosed() {
    try (TestGateway closed = TestGateway.start(inbox.channels().put(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IP, 1000))) {
      assertSmsBudgetTellsNoOwnerApart(closed);
    }
  }

  @Test
  @DisplayName("with sign-up open and the console's SMS off, the console's SMS budget per country answers a "
      + "phone-only owner and a withheld stranger's phone alike")
  void smsBudgetTellsNoOwnerApartWhenOpen() {
    try (TestGateway open = TestGateway.start(inbox.channels().put(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IP, 1000)
        .put(GatewayConfig.OWNER_SIGNUP, "open"))) {
      assertSmsBudgetTellsNoOwnerApart(open);
    }
  }

  /**
   * With a budget of one SMS per country an hour: in Indonesia a stranger's phone asks first, then the owner's,
   * then another stranger's; in the US the owner's first, then a stranger's, then the owner's again. Both
   * countries answer alike, request by request: 200, then the spent budget.
   */
  private static void assertSmsBudgetTellsNoOwnerApart(TestGateway console) {
    String[] admin = Http.bearer(TestGateway.ADMIN_KEY);
    ApiResponse changed = console.http().patch(CONSOLE, new JsonObject().put("settings", new JsonObject()
        .put("sms_max_sends_per_hour_per_country", 1).put("otp_resend_cooldown", 0)), admin);
    assertEquals(200, changed.status(), changed.body());
    for (String owner : List.of("+6289123400101", "+14155552680")) {
      assertEquals(201, console.http().post("/v1/owners", new JsonObject().put("phone", owner), admin).status());
    }

    List<String> indonesia = answers(console, "+6289123400102", "+6289123400101", "+6289123400103");
    List<String> us = answers(console, "+14155552680", "+14155552681", "+14155552680");

    assertEquals(indonesia, us, "the same answers whether the owner asks first or not");
    assertEquals("200", us.get(0));
    assertTrue(us.get(1).startsWith("429 rate_limited phone: this app's SMS budget for this country"), us.get(1));
    assertEquals(us.get(1), us.get(2));
  }

  /** The console's answers to these phones' code requests, in turn: status, error and message (digits as N). */
  private static List<String> answers(TestGateway console, String... phones) {
    return java.util.Arrays.stream(phones).map(phone -> {
      ApiResponse sent = console.http().post("/v1/owners/send-otp", new JsonObject().put("phone", phone));
      return sent.status() == 200 ? "200"
          : sent.status() + " " + sent.error() + " " + sent.json().getString("message").replaceAll("[0-9]+", "N");
    }).toList();
  }

  /**
   * Changes the console's settings and waits until every OTP verticle's cache of them has turned (each keeps the
   * app up to half a second): strangers' fresh identities of {@code kind} answer {@code status} four times running.
   */
  private static void consoleSettings(JsonObject settings, String kind, int status) {
    ApiResponse changed = gateway.http().patch(CONSOLE, new JsonObject().put("settings", settings),
        Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(200, changed.status(), changed.body());
    java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger fresh = new java.util.concurrent.atomic.AtomicInteger(10);
    Await.until("the console's new settings everywhere", Duration.ofSeconds(10), () -> {
      String identity = kind.equals("email") ? "settle" + fresh.incrementAndGet() + "@example.com"
          : "+62891234" + (10000 + fresh.incrementAndGet());
      boolean turned = gateway.http().post("/v1/owners/send-otp", new JsonObject().put(kind, identity)).status() == status;
      return turned ? running.incrementAndGet() >= 4 : running.getAndSet(0) < 0;
    });
  }

  private static List<JsonObject> refusals() {
    return inbox.calls().stream()
        .map(WebhookReceiver.Call::json)
        .filter(json -> "owner.signup_refused".equals(json.getString("type")))
        .toList();
  }
}
