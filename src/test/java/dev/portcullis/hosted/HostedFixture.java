package dev.portcullis.hosted;

import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** A gateway whose codes go to a webhook receiver, and the steps a user takes on the hosted pages. */
public final class HostedFixture implements AutoCloseable {

  public final WebhookReceiver receiver = new WebhookReceiver();
  public final TestGateway gateway = TestGateway.start(receiver.channels());

  /** An app with these callback URLs and settings: its 201 body (with app_secret). */
  public JsonObject app(String slug, List<String> callbacks, JsonObject settings) {
    return gateway.createApp(new JsonObject().put("name", "Shop " + slug).put("slug", slug)
        .put("callback_urls", new io.vertx.core.json.JsonArray(callbacks)).put("settings", settings));
  }

  public FormBrowser browser() {
    return new FormBrowser(gateway.config().httpPort());
  }

  public int codesSentTo(String address) {
    return (int) receiver.calls().stream().filter(call -> address.equals(call.json().getString("to"))).count();
  }

  /** The code of the send that follows {@code before} sends to this address, once delivered. */
  public String code(String address, int before) {
    Await.until("code number " + (before + 1) + " for " + address, Duration.ofSeconds(10),
        () -> codesSentTo(address) > before);
    return receiver.calls().stream()
        .filter(call -> address.equals(call.json().getString("to")))
        .skip(before)
        .findFirst()
        .orElseThrow()
        .json()
        .getString("code");
  }

  /** Signs in on a page at its identity step with an email and the code sent to it; answers the next page. */
  public FormBrowser.Page signIn(FormBrowser browser, FormBrowser.Page identityStep, String email) {
    int before = codesSentTo(email);
    FormBrowser.Page codeStep = toCodeStep(browser, identityStep, email);
    return browser.submit(codeStep, Map.of("code", code(email, before), "action", "verify"));
  }

  /** Gives the identity and, when the page offers a password, asks for a code instead: the code step. */
  public FormBrowser.Page toCodeStep(FormBrowser browser, FormBrowser.Page identityStep, String identity) {
    FormBrowser.Page next = browser.submit(identityStep, Map.of("identity", identity));
    if (next.body().contains("name=\"password\"")) {
      next = browser.submit(next, Map.of("action", "send_code"));
    }
    if (!next.body().contains("name=\"code\"")) {
      throw new AssertionError("expected the code step: " + next);
    }
    return next;
  }

  public static String basic(JsonObject app) {
    return "Basic " + Base64.getEncoder().encodeToString((app.getString("app_id") + ":" + app.getString("app_secret"))
        .getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    gateway.close();
    receiver.close();
  }
}
