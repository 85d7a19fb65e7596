package dev.portcullis.otp;

import dev.portcullis.webhook.DeliveryFailure;
import io.vertx.core.Future;

/** One way of getting a code to a person: smtp, webhook or log. */
public interface DeliveryChannel {

  /** {@code smtp}, {@code webhook} or {@code log}: the transport's name in metrics, audit data and log lines. */
  String name();

  /** Completes when the provider took the message; fails with {@link DeliveryFailure} when it did not. */
  Future<Void> deliver(OtpMessage message);
}
