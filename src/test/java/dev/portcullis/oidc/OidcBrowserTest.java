package dev.portcullis.oidc;

import static dev.portcullis.testing.Chromium.awaitInput;
import static dev.portcullis.testing.Chromium.fill;
import static dev.portcullis.testing.Chromium.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.Chromium;
import dev.portcullis.testing.TestBackends;
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
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * OpenID Connect in a real browser: Chromium (Selenium, chromedriver) opens a nimbus-based relying party's login,
 * is sent to the app's authorize endpoint, signs in on the hosted page with an email code, and comes back to the
 * relying party, which trades the code and validates the ID token. Without a browser the test is skipped, except
 * in CI (CI=true), where it fails.
 */
@DisplayName("OpenID Connect sign-in in Chromium")
class OidcBrowserTest {

  private static WebhookReceiver receiver;
  private static TestGateway gateway;
  private static RelyingParty relyingParty;

  @BeforeAll
  static void start() throws Exception {
    Chromium.require();
    receiver = new WebhookReceiver();
    int port = TestBackends.freePort();
    String base = "http://127.0.0.1:" + port;
    gateway = TestGateway.start(receiver.channels().put(GatewayConfig.HTTP_PORT, port).put(GatewayConfig.ISSUER, base));
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Browser RP").put("slug", "browser-rp")
        .put("callback_urls", new JsonArray().add("http://localhost:1/callback"))
        .put("settings", new JsonObject().put("profile_fields", new JsonArray().add("name"))));
    String appId = app.getString("app_id");
    relyingParty = new RelyingParty(base + "/oidc/" + appId, appId, app.getString("app_secret"), "openid email profile");
    var patched = gateway.http().patch("/v1/apps/" + appId, new JsonObject()
        .put("callback_urls", new JsonArray().add(relyingParty.callbackUrl())), "Authorization",
        "Bearer " + TestGateway.ADMIN_KEY);
    assertEquals(200, patched.status(), patched.toString());
  }

  @AfterAll
  static void stop() {
    if (relyingParty != null) {
      relyingParty.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  @Test
  @DisplayName("a user signs in to a relying party through authorize, the hosted page and the code exchange")
  void signIn() throws Exception {
    WebDriver driver = Chromium.start(true);
    try {
      String email = "oidc-browser@example.com";
      driver.get(relyingParty.loginUrl());
      awaitInput(driver, "identity");
      fill(driver, "identity", email);
      submit(driver);
      Await.until("the password or code step", Duration.ofSeconds(15),
          () -> !driver.findElements(By.name("password")).isEmpty() || !driver.findElements(By.name("code")).isEmpty());
      if (!driver.findElements(By.name("password")).isEmpty()) {
        driver.findElement(By.cssSelector("button[value=send_code]")).click();
      }
      awaitInput(driver, "code");
      fill(driver, "code", code(email));
      submit(driver);
      awaitInput(driver, "name");
      fill(driver, "name", "Olga Browser");
      submit(driver);
      Await.until("the relying party's page", Duration.ofSeconds(20),
          () -> !driver.findElements(By.id("signed-in")).isEmpty() || !driver.findElements(By.id("failed")).isEmpty());
      List<WebElement> failed = driver.findElements(By.id("failed"));
      assertEquals(List.of(), failed.stream().map(WebElement::getText).toList(), "the relying party failed");
      assertEquals(email + "|Olga Browser", driver.findElement(By.id("signed-in")).getText());
    } finally {
      driver.quit();
    }
  }

  private static String code(String email) {
    Await.until("a code for " + email, Duration.ofSeconds(10),
        () -> receiver.calls().stream().anyMatch(call -> email.equals(call.json().getString("to"))));
    return receiver.calls().stream().filter(call -> email.equals(call.json().getString("to"))).findFirst()
        .orElseThrow().json().getString("code");
  }
}
