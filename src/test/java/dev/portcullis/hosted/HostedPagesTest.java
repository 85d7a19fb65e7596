package dev.portcullis.hosted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.otp.ClientNetwork;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;

@DisplayName("Hosted pages: settings, branding and cookies behind an https issuer")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostedPagesTest {

  private static final String CALLBACK = "https://shop.example.com/cb";

  private static WebhookReceiver receiver;
  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    receiver = new WebhookReceiver();
    // The scheme in upper case, as RFC 3986 allows and the start-up check accepts (h79: the cookie lost Secure).
    gateway = TestGateway.start(receiver.channels().put(GatewayConfig.ISSUER, "HTTPS://auth.example.com"));
  }

  @AfterAll
  static void stop() {
    gateway.close();
    receiver.close();
  }

  private static JsonObject app(String slug, JsonObject settings) {
    return gateway.createApp(new JsonObject().put("name", "Shop " + slug).put("slug", slug)
        .put("callback_urls", new JsonArray().add(CALLBACK)).put("settings", settings));
  }

  private static FormBrowser.Page start(FormBrowser browser, JsonObject app) {
    return browser.get("/onboarding/" + app.getString("app_id") + "?state=s&callback_url=" + FormBrowser.encode(CALLBACK));
  }

  @Test
  @DisplayName("behind an https issuer (here HTTPS://) the browser cookie is Secure, HttpOnly and SameSite=Lax")
  void secureCookie() {
    FormBrowser.Page page = start(new FormBrowser(gateway.config().httpPort()), app("pages-cookie", new JsonObject()));
    String cookie = page.header("Set-Cookie").toLowerCase(Locale.ROOT);
    assertTrue(cookie.contains("; secure") && cookie.contains("httponly") && cookie.contains("samesite=lax"), cookie);
  }

  @Test
  @DisplayName("the page shows the app's title and logo, escaped, and serves its stylesheet and script")
  void branding() {
    JsonObject app = app("pages-brand", new JsonObject()
        .put("hosted_title", "<b>Shop</b> & co")
        .put("hosted_logo_url", "https://cdn.example.com/logo.png?a=1&b=2"));
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    FormBrowser.Page page = start(browser, app);
    assertTrue(page.body().contains("<h1>&lt;b&gt;Shop&lt;/b&gt; &amp; co</h1>"), page.body());
    assertTrue(page.body().contains("<title>Sign in – &lt;b&gt;Shop&lt;/b&gt; &amp; co</title>"), page.body());
    assertTrue(page.body().contains("src=\"https://cdn.example.com/logo.png?a=1&amp;b=2\""), page.body());
    assertTrue(!page.body().contains("<b>Shop</b>"));
    FormBrowser.Page css = browser.get("/hosted/static/hosted.css");
    assertEquals(200, css.status());
    assertTrue(css.header("Content-Type").startsWith("text/css"));
    FormBrowser.Page script = browser.get("/hosted/static/pow.js");
    assertEquals(200, script.status());
    assertTrue(script.header("Content-Type").startsWith("text/javascript"));
    assertTrue(script.body().contains("crypto.subtle.digest('SHA-256'"));
    FormBrowser.Page once = browser.get("/hosted/static/once.js");
    assertEquals(200, once.status());
    assertTrue(once.header("Content-Type").startsWith("text/javascript"));
    assertTrue(page.body().contains("<script src=\"/hosted/static/once.js\" defer></script>"), page.body());
  }

  /**
   * Names, titles and callback URLs stored before their rules were tightened (or by an older process during a rolling
   * upgrade) keep the characters and parameters the rules now refuse (upgrade probe): the page still must not show
   * them, and such a callback gets no code.
   */
  @Test
  @DisplayName("an app name or title stored with control or text-direction characters is shown without them, and a "
      + "stored callback URL with a parameter the answer adds is refused as a callback")
  void legacyValuesAreNotServed() throws Exception {
    JsonObject app = app("pages-legacy", new JsonObject());
    String legacyCallback = "https://legacy.example.com/cb?code=1";
    // A port beyond int leaves java.net.URI no host and port -1, which passed a check of the port alone (h86).
    String legacyPort = "https://legacy.example.com:99999999999/cb";
    try (java.sql.Connection db = gateway.jdbc();
        java.sql.PreparedStatement update = db.prepareStatement("UPDATE apps SET name = ?, "
            + "settings = settings || jsonb_build_object('hosted_title', ?::text), "
            + "callback_urls = callback_urls || jsonb_build_array(?::text, ?::text) WHERE id = ?::uuid")) {
      update.setString(1, "Evil\u202eppA");
      update.setString(2, "Bell\u0007Title");
      update.setString(3, legacyCallback);
      update.setString(4, legacyPort);
      update.setString(5, app.getString("app_id"));
      assertEquals(1, update.executeUpdate());
    }
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    FormBrowser.Page page = start(browser, app);
    assertEquals(200, page.status(), page.body());
    assertTrue(page.body().contains("BellTitle"), page.body());
    assertFalse(page.body().contains("\u0007") || page.body().contains("\u202e"), page.body());

    FormBrowser.Page refused = browser.get("/onboarding/" + app.getString("app_id") + "?state=s&callback_url="
        + FormBrowser.encode(legacyCallback));
    assertEquals(400, refused.status(), refused.body());
    FormBrowser.Page badPort = browser.get("/onboarding/" + app.getString("app_id") + "?state=s&callback_url="
        + FormBrowser.encode(legacyPort));
    assertEquals(400, badPort.status(), badPort.body());
  }

  @Test
  @DisplayName("a form field longer than 8 KiB (a long password in a wide script) is judged like any other, never a 500")
  void longFormFields() {
    String appId = app("pages-long", new JsonObject()).getString("app_id");
    String[] form = {"Content-Type", "application/x-www-form-urlencoded"};
    String long9k = "a".repeat(9_000);
    ApiResponse step = gateway.http().send("POST", "/hosted/" + appId + "/flow", "identity=" + long9k, form);
    assertEquals(400, step.status(), step.body());
    assertTrue(step.header("Content-Type").startsWith("text/html"), step.toString());
    ApiResponse token = gateway.http().send("POST", "/oidc/" + appId + "/token",
        "grant_type=authorization_code&code=" + long9k, form);
    assertTrue(token.status() == 400 || token.status() == 401, token.toString());
  }

  @Test
  @DisplayName("hosted settings are validated with the app's other settings")
  void settingsValidated() {
    String appId = app("pages-settings", new JsonObject()).getString("app_id");
    for (JsonObject bad : List.of(
        new JsonObject().put("hosted_logo_url", "http://cdn.example.com/logo.png"),
        new JsonObject().put("hosted_logo_url", "javascript:alert(1)"),
        new JsonObject().put("profile_fields", new JsonArray().add("name").add("password")),
        new JsonObject().put("hosted_sms", "yes"),
        new JsonObject().put("hosted_title", ""),
        new JsonObject().put("hosted_title", "\u200B\u3164"),
        new JsonObject().put("hosted_title", "\uD83D\uDE00".repeat(81))) ) {
      ApiResponse response = gateway.http().patch("/v1/apps/" + appId, new JsonObject().put("settings", bad),
          "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
      assertEquals(400, response.status(), bad + " " + response);
      assertEquals("invalid_request", response.error());
    }
    assertEquals(200, gateway.http().patch("/v1/apps/" + appId, new JsonObject().put("settings", new JsonObject()
            .put("hosted_title", "\uD83D\uDE00".repeat(80))), "Authorization", "Bearer " + TestGateway.ADMIN_KEY).status(),
        "80 characters, counted as code points");
    assertEquals(200, gateway.http().patch("/v1/apps/" + appId, new JsonObject().put("settings", new JsonObject()
        .putNull("hosted_title")), "Authorization", "Bearer " + TestGateway.ADMIN_KEY).status());
    ApiResponse defaults = gateway.http().get("/v1/apps/" + appId, "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
    JsonObject settings = defaults.json().getJsonObject("settings");
    assertEquals(new JsonArray(), settings.getJsonArray("profile_fields"));
    assertEquals(true, settings.getBoolean("hosted_password"));
    assertEquals(false, settings.getBoolean("hosted_sms"));
  }

  @Test
  @DisplayName("a start loaded as an image, a frame, a fetch or a prefetch is a 403 page and spends none of the "
      + "network's starts: another site's page cannot spend its visitors' starts by loading an app's links")
  void subresourceStartsRefused() {
    JsonObject app = app("pages-embedded", new JsonObject());
    String path = "/onboarding/" + app.getString("app_id") + "?state=s&callback_url=" + FormBrowser.encode(CALLBACK);
    for (String destination : List.of("image", "iframe", "script", "empty")) {
      for (int i = 0; i < FlowStarts.PER_APP_PER_MINUTE / 4 + 1; i++) {
        ApiResponse refused = gateway.http().get(path, "Sec-Fetch-Dest", destination);
        assertEquals(403, refused.status(), destination + " " + refused.body());
      }
    }
    for (String prefetch : List.of("prefetch", "prefetch;prerender")) {
      ApiResponse refused = gateway.http().get(path, "Sec-Fetch-Dest", "document", "Sec-Purpose", prefetch);
      assertEquals(403, refused.status(), prefetch + " " + refused.body());
    }
    assertEquals(200, gateway.http().get(path, "Sec-Fetch-Dest", "document").status());
    assertEquals(200, start(new FormBrowser(gateway.config().httpPort()), app).status());
  }

  @Test
  @Order(Integer.MAX_VALUE) // uses up this network's starts for the minute: last
  @DisplayName("one network starts at most 60 flows a minute at one app, which keeps it from no other app, and 600 at "
      + "all apps together; beyond, a 429 page with Retry-After")
  void flowStartsLimited() {
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    FormBrowser.Page page = startUntilRefused(browser, app("pages-flood", new JsonObject()));
    assertEquals(429, page.status(), page.toString());
    int wait = Integer.parseInt(page.header("Retry-After"));
    assertTrue(wait >= 1);
    assertTrue(page.body().contains("Too many sign-ins"));
    assertTrue(page.body().contains("Try again in " + wait + (wait == 1 ? " second." : " seconds.")), page.body());

    JsonObject other = app("pages-flood-other", new JsonObject());
    assertEquals(200, start(browser, other).status(), "starts at one app keep the network from no other");

    // The network's starts at all apps together, as if spent: a fresh app's first start is refused.
    String network = Tokens.sha256Hex(ClientNetwork.of("127.0.0.1"));
    gateway.redis(Command.SET, gateway.redisPrefix() + "hosted-starts:{" + network + "}", FlowStarts.PER_MINUTE,
        "PX", 60_000);
    page = start(browser, app("pages-flood-last", new JsonObject()));
    assertEquals(429, page.status(), page.toString());
    assertEquals(429, start(browser, other).status(), "and at every other app");
  }

  /** Starts flows at the app until one is refused or more than the app's limit were started: the last page. */
  private static FormBrowser.Page startUntilRefused(FormBrowser browser, JsonObject app) {
    FormBrowser.Page page = start(browser, app);
    for (int i = 0; i < FlowStarts.PER_APP_PER_MINUTE && page.status() == 200; i++) {
      page = start(browser, app);
    }
    return page;
  }
}
