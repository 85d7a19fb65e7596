package dev.portcullis.otp;

import dev.portcullis.core.GatewayConfig;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.StartTLSOptions;
import io.vertx.ext.web.client.WebClient;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The channel of each identity kind, as configured: email by smtp, webhook or log; SMS by webhook or log. */
public final class DeliveryChannels {

  private DeliveryChannels() {
  }

  public static Map<Identity.Kind, DeliveryChannel> from(GatewayConfig config, WebClient web, MailClient mail) {
    Map<Identity.Kind, DeliveryChannel> channels = new EnumMap<>(Identity.Kind.class);
    channels.put(Identity.Kind.EMAIL, channel(config, GatewayConfig.OTP_EMAIL_CHANNEL,
        GatewayConfig.OTP_EMAIL_WEBHOOK_URL, web, mail));
    channels.put(Identity.Kind.PHONE, channel(config, GatewayConfig.OTP_SMS_CHANNEL,
        GatewayConfig.OTP_SMS_WEBHOOK_URL, web, mail));
    return channels;
  }

  /** A mail client when email goes by smtp, else null. */
  public static MailClient mailClient(Vertx vertx, GatewayConfig config) {
    if (!"smtp".equals(config.string(GatewayConfig.OTP_EMAIL_CHANNEL))) {
      return null;
    }
    String username = config.optional(GatewayConfig.SMTP_USERNAME);
    MailConfig mail = new MailConfig()
        .setHostname(config.string(GatewayConfig.SMTP_HOST))
        .setPort(config.integer(GatewayConfig.SMTP_PORT, 1, 65535))
        .setStarttls(config.bool(GatewayConfig.SMTP_STARTTLS) ? StartTLSOptions.REQUIRED : StartTLSOptions.DISABLED)
        .setLogin(username == null ? LoginOption.DISABLED : LoginOption.REQUIRED)
        .setConnectTimeout(5_000)
        // A server that stops answering mid-conversation closes the connection, so it returns to the pool.
        .setIdleTimeout((int) SmtpChannel.TIMEOUT_MS)
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    if (username != null) {
      mail.setUsername(username).setPassword(config.optional(GatewayConfig.SMTP_PASSWORD));
    }
    return MailClient.create(vertx, mail);
  }

  private static DeliveryChannel channel(GatewayConfig config, String channelKey, String urlKey, WebClient web,
                                         MailClient mail) {
    return switch (config.string(channelKey)) {
      case "smtp" -> new SmtpChannel(mail, config.string(GatewayConfig.SMTP_FROM));
      case "webhook" -> new WebhookChannel(web, config.string(urlKey), config.string(GatewayConfig.WEBHOOK_SECRET));
      default -> new LogChannel(config.devMode());
    };
  }
}
