package dev.portcullis.otp;

import dev.portcullis.core.Secrets;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.WebClient;
import java.util.HexFormat;

/**
 * POSTs the message as JSON to the configured URL, signed with {@code X-Portcullis-Signature: sha256=<hex
 * HMAC-SHA256 of the raw body>}, so the receiver can check it came from this gateway.
 */
public final class WebhookChannel implements DeliveryChannel {

  public static final String SIGNATURE_HEADER = "X-Portcullis-Signature";
  private static final long TIMEOUT_MS = 5_000;

  private final WebClient client;
  private final String url;
  private final byte[] secret;

  public WebhookChannel(WebClient client, String url, String secret) {
    this.client = client;
    this.url = url;
    this.secret = secret.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  public static String signature(byte[] secret, Buffer body) {
    return "sha256=" + HexFormat.of().formatHex(Secrets.hmacSha256(secret, body.getBytes()));
  }

  @Override
  public String name() {
    return "webhook";
  }

  @Override
  public Future<Void> deliver(OtpMessage message) {
    Buffer body = message.webhookBody().toBuffer();
    return client.postAbs(url)
        .timeout(TIMEOUT_MS)
        .putHeader("Content-Type", "application/json")
        .putHeader(SIGNATURE_HEADER, signature(secret, body))
        .sendBuffer(body)
        .recover(failure -> Future.failedFuture(new DeliveryFailure("no answer: " + failure.getClass().getSimpleName(), true)))
        .compose(response -> {
          int status = response.statusCode();
          if (status >= 200 && status < 300) {
            return Future.succeededFuture();
          }
          boolean retryable = status >= 500 || status == 408 || status == 429;
          return Future.failedFuture(new DeliveryFailure("answered " + status, retryable));
        });
  }
}
