package dev.portcullis.owner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;

/** Signing owners and end users in over HTTP, as the console and a client backend would, with codes from an inbox. */
public final class SignIns {

  private SignIns() {
  }

  /**
   * Room for many sends from one IP (sign-in tests send from 127.0.0.1 all the time), and owner sign-up open
   * (it is closed by default outside dev mode).
   */
  public static final JsonObject LIMITS = new JsonObject()
      .put(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IP, 1000)
      .put(GatewayConfig.OWNER_SIGNUP, "open");

  /** Gateway configuration that delivers codes to the inbox, with room for many sends from one IP. */
  public static JsonObject webhookConfig(WebhookReceiver inbox) {
    return inbox.channels().mergeIn(LIMITS.copy());
  }

  /** An owner's token response from /v1/owners. */
  public static JsonObject owner(TestGateway gateway, WebhookReceiver inbox, String email) {
    return signIn(gateway, inbox, "/v1/owners", new JsonObject().put("email", email));
  }

  /** An end user's token response from /auth, for the app (its create response with app_secret). */
  public static JsonObject user(TestGateway gateway, WebhookReceiver inbox, JsonObject app, String email) {
    JsonObject credentials = new JsonObject().put("app_id", app.getString("app_id"))
        .put("app_secret", app.getString("app_secret"));
    return signIn(gateway, inbox, "/auth", credentials.put("email", email));
  }

  private static JsonObject signIn(TestGateway gateway, WebhookReceiver inbox, String prefix, JsonObject send) {
    ApiResponse sent = gateway.http().post(prefix + "/send-otp", send);
    assertEquals(200, sent.status(), sent.body());
    String requestId = sent.json().getString("otp_request_id");
    JsonObject verify = send.copy();
    verify.remove("email");
    ApiResponse verified = gateway.http().post(prefix + "/verify-otp",
        verify.put("otp_request_id", requestId).put("otp", inbox.awaitCode(requestId)));
    assertEquals(200, verified.status(), verified.body());
    return verified.json();
  }
}
