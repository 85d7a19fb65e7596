package dev.portcullis.otp;

import dev.portcullis.webhook.DeliveryFailure;
import io.vertx.core.Future;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailMessage;
import java.util.concurrent.TimeUnit;

/**
 * A plain-text email through the configured SMTP server (Vert.x Mail Client). An attempt that the server has
 * not finished within {@link #TIMEOUT_MS} fails as retryable: a stalled server must not hold a message forever.
 */
public final class SmtpChannel implements DeliveryChannel {

  static final long TIMEOUT_MS = 10_000;

  private final MailClient client;
  private final String from;
  private final long timeoutMs;

  public SmtpChannel(MailClient client, String from) {
    this(client, from, TIMEOUT_MS);
  }

  SmtpChannel(MailClient client, String from, long timeoutMs) {
    this.client = client;
    this.from = from;
    this.timeoutMs = timeoutMs;
  }

  @Override
  public String name() {
    return "smtp";
  }

  @Override
  public Future<Void> deliver(OtpMessage message) {
    MailMessage mail = new MailMessage()
        .setFrom(from)
        .setTo(message.to().value())
        .setSubject(message.subject())
        .setText(message.text());
    return client.sendMail(mail)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .<Void>mapEmpty()
        .recover(failure -> Future.failedFuture(new DeliveryFailure("smtp: " + failure.getClass().getSimpleName(), true)));
  }
}
