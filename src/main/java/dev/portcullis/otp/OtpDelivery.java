package dev.portcullis.otp;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.RequestContext;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.webhook.Backoff;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers codes after the send has been answered, so a slow or failing provider never holds up a client.
 * A failed attempt is retried with backoff a bounded number of times; a message given up on is counted and
 * audited.
 */
public final class OtpDelivery {

  private static final Logger LOG = LoggerFactory.getLogger(OtpDelivery.class);
  /** Attempts after the first: each waits twice as long as the one before, from the configured first wait. */
  static final int RETRIES = 3;

  private final Vertx vertx;
  private final Map<Identity.Kind, DeliveryChannel> channels;
  private final OtpMetrics metrics;
  private final AuditLog audit;
  private final Backoff backoff;

  /** Deliveries started and not yet ended; read and written on the owning verticle's event loop only. */
  private int pending;
  private Promise<Void> idle;

  /**
   * {@code firstBackoffMs} is the wait before the first retry ({@code PORTCULLIS_OTP_DELIVERY_BACKOFF_MS}, 500 by
   * default: four attempts at most, the last 3.5 s after the first).
   */
  /** Long enough for the request's last audit write and its answer, short beside an email's or a text's way. */
  static final long UNSEEN_AFTER_MS = 100;
  static final long UNSEEN_SPREAD_MS = 500;

  public OtpDelivery(Vertx vertx, Map<Identity.Kind, DeliveryChannel> channels, OtpMetrics metrics, AuditLog audit,
                     long firstBackoffMs) {
    this.vertx = vertx;
    this.backoff = Backoff.doubling(vertx, firstBackoffMs, RETRIES);
    this.channels = Map.copyOf(channels);
    this.metrics = metrics;
    this.audit = audit;
    // At 0 from the start: an alert's rate() misses a series' first increment, a pod's first failures (h88).
    this.channels.forEach((kind, channel) -> metrics.deliveryFailures(kind, channel.name()));
  }

  /** Starts delivering on a later turn of the event loop; the returned future says how it ended. */
  public Future<Void> deliver(OtpMessage message) {
    return deliverAfter(message, 0);
  }

  /**
   * Starts a delivery that its request's answer must not reveal (a reset's code goes out only to an account, a
   * console code only to an owner) at a random moment 0.1 to 0.6 s from now: the answer is out before the delivery's
   * work takes the loop, and a request timed against the answer does not meet that work at a known moment (h96: one
   * sent 100 ms after a reset's answer was slower when the identity had an account).
   */
  public Future<Void> deliverUnseen(OtpMessage message) {
    return deliverAfter(message, unseenDelayMs());
  }

  /**
   * A random moment 0.1 to 0.6 s from now, in ms: when work that a request's answer must not reveal starts, so that
   * it neither delays the answer nor meets a request timed against it at a known moment.
   */
  public static long unseenDelayMs() {
    return UNSEEN_AFTER_MS + ThreadLocalRandom.current().nextLong(UNSEEN_SPREAD_MS);
  }

  /**
   * Starts delivering {@code delayMs} from now (0: on the loop's next turn), so a request that answers the same
   * whether a message goes out or not answers before the delivery's work takes the loop.
   */
  private Future<Void> deliverAfter(OtpMessage message, long delayMs) {
    DeliveryChannel channel = channels.get(message.to().kind());
    Promise<Void> done = Promise.promise();
    Runnable start = () -> backoff.run(() -> attempt(channel, message)).onComplete(done);
    if (delayMs > 0) {
      vertx.setTimer(delayMs, id -> start.run());
    } else {
      vertx.runOnContext(ignored -> start.run());
    }
    pending++;
    return done.future()
        .recover(failure -> givenUp(channel, message, failure))
        .onComplete(ended -> {
          if (--pending == 0 && idle != null) {
            idle.tryComplete();
            idle = null;
          }
        });
  }

  /**
   * Completes once every delivery started here has ended (sent, or given up and audited): a stopping verticle waits
   * for it before it closes its clients, so a code whose answer went out is not dropped with them.
   */
  public Future<Void> finished() {
    if (pending == 0) {
      return Future.succeededFuture();
    }
    if (idle == null) {
      idle = Promise.promise();
    }
    return idle.future();
  }

  private Future<Void> attempt(DeliveryChannel channel, OtpMessage message) {
    // Each try runs on a later turn of the loop (a timer, for retries), where another request's id may be bound.
    RequestContext.bind(message.requestId());
    return channel.deliver(message).onFailure(failure -> LOG.debug("OTP delivery by {} for request {} failed ({})",
        channel.name(), message.requestId(), failure.getMessage()));
  }

  private Future<Void> givenUp(DeliveryChannel channel, OtpMessage message, Throwable failure) {
    RequestContext.bind(message.requestId());
    LOG.warn("OTP delivery by {} to {} failed for request {}: {}", channel.name(), message.to().masked(),
        message.requestId(), failure.getMessage());
    metrics.deliveryFailed(message.to().kind(), channel.name());
    AuditEvent event = AuditEvent.of(AuditEvent.OTP_DELIVERY_FAILED, message.appId(), message.requestId(),
            message.clientIp())
        .with("channel", message.to().kind().channel())
        .with("transport", channel.name())
        .with("to", message.to().masked())
        .with("otp_request_id", message.otpRequestId());
    return audit.record(event)
        .onFailure(auditFailure -> LOG.warn("could not audit the failed OTP delivery of request {}: {}",
            message.requestId(), auditFailure.getMessage()))
        .transform(ignored -> Future.failedFuture(failure));
  }
}
