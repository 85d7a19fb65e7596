package dev.portcullis.webhook;

import dev.portcullis.core.Secrets;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * POSTs a JSON body to one URL, signed with {@code X-Portcullis-Signature: sha256=<hex HMAC-SHA256 of the raw
 * body>}, so the receiver can check it came from this gateway. Used by the OTP webhook channel and the
 * security events webhook. A refusal fails with {@link DeliveryFailure}, retryable unless trying again
 * cannot help (a 4xx other than 408 and 429).
 */
public final class SignedWebhook {

  public static final String SIGNATURE_HEADER = "X-Portcullis-Signature";
  private static final long TIMEOUT_MS = 5_000;

  private final WebClient client;
  private final String url;
  private final byte[] secret;

  public SignedWebhook(WebClient client, String url, String secret) {
    this.client = client;
    this.url = url;
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
  }

  public static String signature(byte[] secret, Buffer body) {
    return "sha256=" + HexFormat.of().formatHex(Secrets.hmacSha256(secret, body.getBytes()));
  }

  public Future<Void> post(Buffer body) {
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
