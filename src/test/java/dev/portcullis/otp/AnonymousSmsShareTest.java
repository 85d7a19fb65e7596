package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.hosted.FormBrowser;
import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Probe h91: strangers on the hosted pages spent an owner's whole operator SMS ceiling (and the gateway's), and the
 * backends behind it got 429 for the hour. Each test runs its own gateway, with the one ceiling it is about.
 */
@DisplayName("Hosted pages spend at most half of the operator's SMS ceilings; the backends keep the rest")
class AnonymousSmsShareTest {

  private static final String CALLBACK = "https://shop.example.com/auth/callback";
  /** Each hosted app's own budget: its pages may send 2 (HostedSmsBudget), so only the operator's share stops them. */
  private static final int APP_SMS = 4;
  /** The ceiling under test; the hosted pages' share of it is 2. */
  private static final int CEILING = 4;

  @Test
  @DisplayName("strangers on two of an owner's hosted apps send half the owner's SMS ceiling, and the owner's backend "
      + "on a third app still sends the other half")
  void ownersCeiling() {
    try (WebhookReceiver receiver = new WebhookReceiver();
         TestGateway gateway = TestGateway.start(SignIns.webhookConfig(receiver)
             .put(GatewayConfig.SMS_MAX_SENDS_PER_HOUR_PER_OWNER, CEILING)
             .put(GatewayConfig.SMS_MAX_SENDS_PER_HOUR, 0))) {
      String owner = SignIns.owner(gateway, receiver, "owner-h91@example.com").getString("access_token");
      BiFunction<String, JsonObject, JsonObject> create = (slug, settings) -> ownersApp(gateway, owner, slug, settings);
      strangersThenBackend(gateway, create, 1, "owner", "sms_owner_anonymous_hourly");
    }
  }

  @Test
  @DisplayName("strangers on hosted apps send half the gateway's SMS ceiling, and another app's backend still sends "
      + "the other half")
  void gatewaysCeiling() {
    try (WebhookReceiver receiver = new WebhookReceiver();
         TestGateway gateway = TestGateway.start(SignIns.webhookConfig(receiver)
             .put(GatewayConfig.SMS_MAX_SENDS_PER_HOUR_PER_OWNER, 0)
             .put(GatewayConfig.SMS_MAX_SENDS_PER_HOUR, CEILING))) {
      BiFunction<String, JsonObject, JsonObject> create = (slug, settings) -> gateway.createApp(new JsonObject()
          .put("name", "App " + slug).put("slug", slug).put("callback_urls", new JsonArray().add(CALLBACK))
          .put("settings", settings));
      strangersThenBackend(gateway, create, 2, "service", "sms_gateway_anonymous_hourly");
    }
  }

  /**
   * Strangers post hosted apps: the first {@code spenders} apps' two sends spend the pages' share of the ceiling
   * (split among them: an app with no owner is a part of the gateway's share of its own, a quarter of it), the next
   * app's two are refused by it (each app's own hosted share would let them through). Another app's backend then
   * sends the ceiling's other half, and is refused by the ceiling itself ({@code wording}) only after.
   */
  private static void strangersThenBackend(TestGateway gateway, BiFunction<String, JsonObject, JsonObject> create,
                                           int spenders, String wording, String shareReason) {
    JsonObject hostedSettings = new JsonObject().put("hosted_sms", true).put("hosted_password", false)
        .put("sms_max_sends_per_hour", APP_SMS);
    List<JsonObject> spending = new java.util.ArrayList<>();
    for (int i = 0; i < spenders; i++) {
      spending.add(create.apply("h91-pages-" + i, hostedSettings));
    }
    List<FormBrowser.Page> spent = List.of(hostedIdentity(gateway, spending.get(0), "+14155550301"),
        hostedIdentity(gateway, spending.get(spenders - 1), "+14155550302"));
    JsonObject refusedApp = create.apply("h91-pages-refused", hostedSettings);
    OtpClient backend = new OtpClient(gateway.http(), create.apply("h91-backend", new JsonObject()));
    List<FormBrowser.Page> refused = List.of(hostedIdentity(gateway, refusedApp, "+14155550303"),
        hostedIdentity(gateway, refusedApp, "+14155550304"));

    // What the probe saw: the strangers had spent the ceiling, and the backend's first SMS got 429.
    for (String phone : List.of("+14155550305", "+14155550306")) {
      ApiResponse sent = backend.send("phone", phone, "192.0.2.40");
      assertEquals(200, sent.status(), phone + ": the backend keeps the half strangers cannot spend: " + sent.body());
    }
    for (FormBrowser.Page page : spent) {
      assertTrue(codeStep(page), page.toString());
    }
    for (FormBrowser.Page page : refused) {
      assertFalse(codeStep(page), "the pages' share of the ceiling is spent: " + page);
      // The page tells the stranger SMS cannot be sent now, nothing about the owner or their other apps.
      assertTrue(page.body().contains("Codes by text message cannot be sent right now"), page.toString());
      assertFalse(page.body().contains("owner"), page.toString());
    }
    assertTrue(gateway.management().get("/metrics").body()
        .contains("portcullis_otp_rate_limited_total{reason=\"" + shareReason + "\"}"), shareReason);
    ApiResponse full = backend.send("phone", "+14155550307", "192.0.2.40");
    assertEquals(429, full.status(), full.body());
    assertTrue(full.json().getString("message").contains(wording), "the whole ceiling is spent now: " + full.body());
  }

  private static JsonObject ownersApp(TestGateway gateway, String ownerToken, String slug, JsonObject settings) {
    ApiResponse created = gateway.http().post("/v1/apps", new JsonObject().put("name", "App " + slug).put("slug", slug)
        .put("callback_urls", new JsonArray().add(CALLBACK)).put("settings", settings), Http.bearer(ownerToken));
    assertEquals(201, created.status(), created.body());
    return created.json();
  }

  /** A new browser's flow of the app, at its identity step given {@code phone}: the page that answers. */
  private static FormBrowser.Page hostedIdentity(TestGateway gateway, JsonObject app, String phone) {
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    FormBrowser.Page start = browser.get("/onboarding/" + app.getString("app_id") + "?state=h91&callback_url="
        + FormBrowser.encode(CALLBACK));
    return browser.submit(start, Map.of("identity", phone));
  }

  private static boolean codeStep(FormBrowser.Page page) {
    return page.body().contains("name=\"code\"");
  }
}
