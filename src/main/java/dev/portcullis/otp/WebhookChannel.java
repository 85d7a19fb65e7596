package dev.portcullis.otp;

import dev.portcullis.webhook.SignedWebhook;
import io.vertx.core.Future;
import io.vertx.ext.web.client.WebClient;

/** POSTs the message as signed JSON to the configured URL ({@link SignedWebhook}). */
public final class WebhookChannel implements DeliveryChannel {

  private final SignedWebhook webhook;

  public WebhookChannel(WebClient client, String url, String secret) {
    this.webhook = new SignedWebhook(client, url, secret);
  }

  @Override
  public String name() {
    return "webhook";
  }

  @Override
  public Future<Void> deliver(OtpMessage message) {
    return webhook.post(message.webhookBody().toBuffer());
  }
}
