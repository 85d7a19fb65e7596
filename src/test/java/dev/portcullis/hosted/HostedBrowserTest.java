package dev.portcullis.hosted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.Chromium;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The hosted pages in a real browser: Chromium (Debian's, driven by Selenium through chromedriver) signs in on the
 * onboarding page and completes a conversation, with JavaScript and without, and lands on the app's backend, which
 * checks state and trades the code. Without a browser the test is skipped, except in CI (CI=true), where it fails.
 */
@DisplayName("Hosted sign-in and conversations in Chromium")
class HostedBrowserTest {


  private static HostedFixture fixture;
  private static TestBackend backend;
  private static JsonObject app;

  @BeforeAll
  static void start() {
    Chromium.require();
    fixture = new HostedFixture();
    // The backend needs the app's id and secret, the app needs the backend's URLs: a placeholder, then a PATCH.
    app = fixture.app("browser-shop", List.of("http://localhost:1/callback"), new JsonObject()
        .put("profile_fields", new JsonArray().add("name"))
        .put("otp_resend_cooldown", 0)
        .put("hosted_title", "Sign in to Browser Shop"));
    backend = new TestBackend(fixture.gateway.config().httpPort(), app.getString("app_id"),
        app.getString("app_secret"));
    ApiResponse patched = fixture.gateway.http().patch("/v1/apps/" + app.getString("app_id"), new JsonObject()
            .put("callback_urls", new JsonArray().add(backend.callbackUrl()).add(backend.returnUrl())),
        "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY);
    assertEquals(200, patched.status(), patched.toString());
  }

  @AfterAll
  static void stop() {
    if (backend != null) {
      backend.close();
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  private static String gateway(String path) {
    return "http://127.0.0.1:" + fixture.gateway.config().httpPort() + path;
  }

  @ParameterizedTest(name = "JavaScript {0}")
  @ValueSource(booleans = {true, false})
  @DisplayName("a user signs in on the onboarding page and lands on the app's callback, which trades the code")
  void onboarding(boolean javascript) throws Exception {
    WebDriver driver = Chromium.start(javascript);
    try {
      String email = "browser-" + javascript + "@example.com";
      driver.get(gateway("/onboarding/" + app.getString("app_id") + "?callback_url="
          + FormBrowser.encode(backend.callbackUrl()) + "&state=" + FormBrowser.encode(backend.newState())));
      assertEquals("Sign in – Sign in to Browser Shop", driver.getTitle());
      assertJavaScript(driver, javascript);
      signIn(driver, email);
      Chromium.fill(driver, "name", "Kim Browser");
      Chromium.submit(driver);
      WebElement result = awaitElement(driver, "signed-in");
      assertEquals(email + "|Kim Browser", result.getText());
    } finally {
      driver.quit();
    }
  }

  @ParameterizedTest(name = "JavaScript {0}")
  @ValueSource(booleans = {true, false})
  @DisplayName("a user completes a conversation and the backend reads its result on the return page")
  void conversation(boolean javascript) throws Exception {
    JsonObject body = new JsonObject().put("userKey", "browser-user")
        .put("returnUrl", backend.returnUrl() + "?conversation={conversationId}")
        .put("query", new JsonObject()
            .put("identity", new JsonObject().put("requireOneOf", new JsonArray()
                .add(new JsonArray().add("PERSON_NAME_FIRSTNAME").add("PERSON_NAME_LASTNAME"))))
            .put("auth", new JsonObject()));
    ApiResponse created = fixture.gateway.http().send("POST", "/api/conversations", body.encode(),
        "Content-Type", "application/vnd.authologic.v1.1+json", "Authorization", HostedFixture.basic(app));
    assertEquals(201, created.status(), created.toString());
    WebDriver driver = Chromium.start(javascript);
    try {
      driver.get(gateway(URI.create(created.json().getString("url")).getPath()));
      signIn(driver, "talk-" + javascript + "@example.com");
      Chromium.fill(driver, "PERSON_NAME_FIRSTNAME", "Ada");
      Chromium.fill(driver, "PERSON_NAME_LASTNAME", "Lovelace");
      Chromium.submit(driver);
      WebElement result = awaitElement(driver, "conversation");
      String[] parts = result.getText().split("\\|", 3);
      assertEquals("FINISHED", parts[0], "conversation status");
      assertEquals("FINISHED", parts[1], "auth status");
      assertEquals(new JsonObject().put("PERSON_NAME_FIRSTNAME", "Ada").put("PERSON_NAME_LASTNAME", "Lovelace"),
          new JsonObject(parts[2]));
    } finally {
      driver.quit();
    }
  }

  @Test
  @DisplayName("a double click sends a form once: the second post would spend a code the first already spent")
  void formSentOnce() throws Exception {
    WebDriver driver = Chromium.start(true);
    try {
      driver.get(gateway("/onboarding/" + app.getString("app_id") + "?callback_url="
          + FormBrowser.encode(backend.callbackUrl()) + "&state=" + FormBrowser.encode(backend.newState())));
      // Two submit events as two clicks raise them; each says whether the browser would send the form.
      Object sent = ((JavascriptExecutor) driver).executeScript(
          "var form = document.querySelector('form');"
              + "function click() {"
              + "  var event = new SubmitEvent('submit', {bubbles: true, cancelable: true});"
              + "  form.dispatchEvent(event);"
              + "  return !event.defaultPrevented;"
              + "}"
              + "return [click(), click()];");
      assertEquals(List.of(true, false), sent);
    } finally {
      driver.quit();
    }
  }

  @Test
  @DisplayName("after a wrong password the step asks for proof of work: the page's script solves it and the right "
      + "password signs in")
  void passwordWithProofOfWork() throws Exception {
    String email = "pow-browser@example.com";
    // A user the operator made has no verified address; this app lets such users sign in with their password.
    ApiResponse patched = fixture.gateway.http().patch("/v1/apps/" + app.getString("app_id"), new JsonObject()
            .put("settings", new JsonObject().put("require_verified_identity", false)),
        "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY);
    assertEquals(200, patched.status(), patched.toString());
    ApiResponse created = fixture.gateway.http().post("/v1/apps/" + app.getString("app_id") + "/users",
        new JsonObject().put("email", email).put("password", "Correct-Horse-Battery-9")
            .put("profile", new JsonObject().put("name", "Pow User")),
        "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY);
    assertEquals(201, created.status(), created.toString());
    WebDriver driver = Chromium.start(true);
    try {
      driver.get(gateway("/onboarding/" + app.getString("app_id") + "?callback_url="
          + FormBrowser.encode(backend.callbackUrl()) + "&state=" + FormBrowser.encode(backend.newState())));
      Chromium.fill(driver, "identity", email);
      Chromium.submit(driver);
      awaitInput(driver, "password");
      Chromium.fill(driver, "password", "not-the-password");
      driver.findElement(By.cssSelector("button[value=password]")).click();
      awaitElement(driver, "error");
      assertEquals("password", driver.switchTo().activeElement().getAttribute("id"),
          "the field in error has the focus, so a screen reader reads it with its error");
      String difficulty = driver.findElement(By.cssSelector("form[data-pow-token]")).getAttribute("data-pow-difficulty");
      assertTrue(Integer.parseInt(difficulty) > 0, "a failure raised the difficulty: " + difficulty);
      Chromium.fill(driver, "password", "Correct-Horse-Battery-9");
      driver.findElement(By.cssSelector("button[value=password]")).click();
      assertEquals(email + "|Pow User", awaitElement(driver, "signed-in").getText());
    } finally {
      driver.quit();
    }
  }

  /** The identity and code steps, checking on each page that every input a user sees has a label. */
  private static void signIn(WebDriver driver, String email) {
    assertEveryInputLabelled(driver);
    int before = fixture.codesSentTo(email);
    Chromium.fill(driver, "identity", email);
    Chromium.submit(driver);
    Await.until("the password or code step", Duration.ofSeconds(15), () -> !driver.findElements(By.name("password"))
        .isEmpty() || !driver.findElements(By.name("code")).isEmpty());
    if (!driver.findElements(By.name("password")).isEmpty()) {
      assertEveryInputLabelled(driver);
      driver.findElement(By.cssSelector("button[value=send_code]")).click();
    }
    awaitInput(driver, "code");
    assertEveryInputLabelled(driver);
    Chromium.fill(driver, "code", fixture.code(email, before));
    Chromium.submit(driver);
    awaitInput(driver, null);
    assertEveryInputLabelled(driver);
  }

  /** Waits until the page has a visible input of that name (null: until the page has changed at all). */
  private static void awaitInput(WebDriver driver, String name) {
    Await.until("input " + name, Duration.ofSeconds(15), () -> name == null
        ? driver.findElements(By.name("code")).isEmpty()
        : !driver.findElements(By.name(name)).isEmpty());
  }

  private static WebElement awaitElement(WebDriver driver, String id) {
    Await.until("#" + id + " on " + driver.getCurrentUrl(), Duration.ofSeconds(15),
        () -> !driver.findElements(By.id(id)).isEmpty());
    return driver.findElement(By.id(id));
  }

  private static void assertEveryInputLabelled(WebDriver driver) {
    for (WebElement input : driver.findElements(By.cssSelector("input:not([type=hidden]), select, textarea"))) {
      String id = input.getAttribute("id");
      assertTrue(id != null && !id.isEmpty(), "an input without an id: " + input.getAttribute("name"));
      List<WebElement> labels = driver.findElements(By.cssSelector("label[for='" + id + "']"));
      assertEquals(1, labels.size(), "input " + id + " has one label");
      assertTrue(!labels.get(0).getText().isBlank(), "the label of " + id + " says something");
    }
  }

  private static void assertJavaScript(WebDriver driver, boolean enabled) {
    // With JavaScript on, the proof-of-work script loaded from the gateway (CSP 'self'); off, nothing ran.
    assertEquals(1, driver.findElements(By.cssSelector("script[src='/hosted/static/pow.js']")).size());
    assertEquals(0, driver.findElements(By.cssSelector("script:not([src])")).size(), "no inline script");
    if (enabled) {
      Object answer = ((JavascriptExecutor) driver).executeScript("return 1 + 1;");
      assertEquals(2L, answer);
    }
  }
}
