package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.app.App;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.hosted.FormBrowser;
import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Strangers with many networks spent an app's whole PORTCULLIS_OTP_SENDS_PER_HOUR_PER_APP through its hosted pages
 * (its backend then got 429 for the hour), and the console's through owner sign-in (every owner got 429). Each test
 * runs its own gateway with a small per-app limit.
 */
@DisplayName("Anonymous sends spend at most half of an app's hourly codes; the backend (or existing owners) keep the "
    + "rest")
class AnonymousOtpShareTest {

  private static final String CALLBACK = "https://shop.example.com/auth/callback";
  /** The per-app limit under test; anonymous sends' share of it is 2. */
  private static final int PER_APP = 4;

  private static TestGateway gateway(WebhookReceiver receiver, String ownerSignup) {
    return TestGateway.start(SignIns.webhookConfig(receiver)
        .put(GatewayConfig.OTP_SENDS_PER_HOUR_PER_APP, PER_APP)
        .put(GatewayConfig.OWNER_SIGNUP, ownerSignup));
  }

  @Test
  @DisplayName("strangers on the hosted pages send half the app's hourly codes, the page says no more can be sent "
      + "from it, and the app's backend still sends the other half")
  void hostedPagesSpendHalf() {
    try (WebhookReceiver receiver = new WebhookReceiver();
         TestGateway gateway = gateway(receiver, "open")) {
      JsonObject app = gateway.createApp(new JsonObject().put("name", "Shop share").put("slug", "otp-share")
          .put("callback_urls", new JsonArray().add(CALLBACK)).put("settings", new JsonObject()
              .put("hosted_password", false).put("otp_resend_cooldown", 0)));
      OtpClient backend = new OtpClient(gateway.http(), app);

      // A stranger who signed in a throwaway identity from a network still spends the pages' share from there
      // (h29: such a network counted as the identity's own, and its sends spent the backend's half).
      FormBrowser browser = new FormBrowser(gateway.config().httpPort());
      FormBrowser.Page codeStep = browser.submit(browser.get("/onboarding/" + app.getString("app_id")
          + "?state=share&callback_url=" + FormBrowser.encode(CALLBACK)), Map.of("identity", "throwaway@example.com"));
      Await.until("the throwaway identity's code", java.time.Duration.ofSeconds(10), () -> receiver.calls().stream()
          .anyMatch(call -> "throwaway@example.com".equals(call.json().getString("to"))));
      String code = receiver.calls().stream().filter(call -> "throwaway@example.com".equals(call.json().getString("to")))
          .findFirst().orElseThrow().json().getString("code");
      FormBrowser.Page signedIn = browser.submit(codeStep, Map.of("code", code, "action", "verify"));
      assertEquals(302, signedIn.status(), signedIn.toString());
      for (int i = 1; i < PER_APP; i++) {
        FormBrowser.Page page = hostedIdentity(gateway, app, i == 1 ? "throwaway@example.com"
            : "stranger" + i + "@example.com");
        if (i < PER_APP / 2) {
          assertTrue(page.body().contains("name=\"code\""), page.toString());
        } else {
          assertFalse(page.body().contains("name=\"code\""), "the pages' share is spent: " + page);
          assertTrue(page.body().contains("Codes cannot be sent from this page right now"), page.toString());
        }
      }
      // What the probe saw: the strangers had spent the app's limit, and the backend's sends got 429.
      for (String email : new String[] {"backend-1@example.com", "backend-2@example.com"}) {
        ApiResponse sent = backend.send("email", email, "192.0.2.41");
        assertEquals(200, sent.status(), email + ": the backend keeps the half strangers cannot spend: " + sent.body());
      }
      assertTrue(gateway.management().get("/metrics").body()
          .contains("portcullis_otp_rate_limited_total{reason=\"app_anonymous_hourly\"}"));
      ApiResponse full = backend.send("email", "backend-3@example.com", "192.0.2.41");
      assertEquals(429, full.status(), full.body());
      assertTrue(full.json().getString("message").contains("too many codes were sent for this app"), full.body());
    }
  }

  @Test
  @DisplayName("strangers' console sends spend half the console's hourly codes; beyond, an owner signs in from a "
      + "network it signed in from before, and is answered as a stranger anywhere else (h28: strangers spent the "
      + "owners' half by asking for codes to an owner's address)")
  void consoleStrangersSpendHalf() {
    try (WebhookReceiver receiver = new WebhookReceiver();
         TestGateway gateway = gateway(receiver, "open")) {
      strangersThenOwners(gateway, receiver);
    }
  }

  @Test
  @DisplayName("refused owner sign-ups (answered, no code sent) spend only the strangers' half of the console's "
      + "hourly codes too")
  void consoleRefusedSignupsSpendHalf() {
    try (WebhookReceiver receiver = new WebhookReceiver();
         TestGateway gateway = gateway(receiver, "closed")) {
      strangersThenOwners(gateway, receiver);
    }
  }

  /**
   * An owner signs in (a stranger's send until then), strangers ask the console for codes until their half is spent,
   * and an owner who never signed in is then refused as they are; the owner who did still gets a code from there.
   */
  private static void strangersThenOwners(TestGateway gateway, WebhookReceiver receiver) {
    ApiResponse noCooldown = gateway.http().patch("/v1/apps/" + App.CONSOLE_ID, new JsonObject().put("settings",
        new JsonObject().put("otp_resend_cooldown", 0)), Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(200, noCooldown.status(), noCooldown.body());
    for (String email : new String[] {"owner-a@example.com", "owner-b@example.com"}) {
      ApiResponse created = gateway.http().post("/v1/owners", new JsonObject().put("email", email),
          Http.bearer(TestGateway.ADMIN_KEY));
      assertEquals(201, created.status(), created.body());
    }
    ownerSignsIn(gateway, receiver, "owner-a@example.com");
    for (int i = 1; i < PER_APP; i++) {
      ApiResponse sent = gateway.http().post("/v1/owners/send-otp",
          new JsonObject().put("email", "stranger" + i + "@example.com"));
      assertEquals(i < PER_APP / 2 ? 200 : 429, sent.status(), i + ": " + sent.body());
    }
    ApiResponse stranger = gateway.http().post("/v1/owners/send-otp",
        new JsonObject().put("email", "stranger-last@example.com"));
    ApiResponse newOwner = gateway.http().post("/v1/owners/send-otp",
        new JsonObject().put("email", "owner-b@example.com"));
    assertEquals(429, newOwner.status(), newOwner.body());
    assertEquals(stranger.json().getString("message"), newOwner.json().getString("message"),
        "an owner's address from a network it never signed in from is answered as a stranger's");
    ownerSignsIn(gateway, receiver, "owner-a@example.com");
  }

  private static void ownerSignsIn(TestGateway gateway, WebhookReceiver receiver, String email) {
    ApiResponse sent = gateway.http().post("/v1/owners/send-otp", new JsonObject().put("email", email));
    assertEquals(200, sent.status(), email + ": " + sent.body());
    String requestId = sent.json().getString("otp_request_id");
    ApiResponse verified = gateway.http().post("/v1/owners/verify-otp", new JsonObject()
        .put("otp_request_id", requestId).put("otp", receiver.awaitCode(requestId)));
    assertEquals(200, verified.status(), verified.body());
  }

  /** A new browser's flow of the app, at its identity step given {@code email}: the page that answers. */
  private static FormBrowser.Page hostedIdentity(TestGateway gateway, JsonObject app, String email) {
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    FormBrowser.Page start = browser.get("/onboarding/" + app.getString("app_id") + "?state=share&callback_url="
        + FormBrowser.encode(CALLBACK));
    return browser.submit(start, Map.of("identity", email));
  }
}
