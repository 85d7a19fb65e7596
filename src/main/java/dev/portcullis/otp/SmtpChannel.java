package dev.portcullis.otp;

import io.vertx.core.Future;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailMessage;

/** A plain-text email through the configured SMTP server (Vert.x Mail Client). */
public final class SmtpChannel implements DeliveryChannel {

  private final MailClient client;
  private final String from;

  public SmtpChannel(MailClient client, String from) {
    this.client = client;
    this.from = from;
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
        .<Void>mapEmpty()
        .recover(failure -> Future.failedFuture(new DeliveryFailure("smtp: " + failure.getClass().getSimpleName(), true)));
  }
}
