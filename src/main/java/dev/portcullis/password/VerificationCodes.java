package dev.portcullis.password;

import dev.portcullis.app.App;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Digits;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.otp.Identity;
import dev.portcullis.otp.OtpCodes;
import dev.portcullis.otp.OtpDelivery;
import dev.portcullis.otp.OtpMessage;
import dev.portcullis.otp.OtpMetrics;
import dev.portcullis.otp.OtpRefusals;
import dev.portcullis.otp.OtpSender;
import dev.portcullis.otp.OtpStore;
import dev.portcullis.security.SecurityEvents;
import dev.portcullis.user.UserRepository;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Verification and reset codes, through the OTP machinery: the same store (single use, attempts, lock-outs),
 * the same limits (cooldown, hourly sends per identity, network and app, shared with code logins) and the same
 * delivery channels. A request's id inside the store is {@code <purpose>:<id>}, so a signup or reset code can
 * never be spent at {@code /auth/verify-otp}, nor a login code here.
 *
 * <p>Every send is counted and stored whether or not anything is delivered: a request for an identity without
 * an account gets an id that behaves like a real one (wrong codes count down, then it burns), only no code is
 * ever sent for it.
 */
public final class VerificationCodes {

  public enum Purpose {
    SIGNUP("signup"), RESET("reset");

    private final String prefix;

    Purpose(String prefix) {
      this.prefix = prefix;
    }

    String storeId(String publicId) {
      return prefix + ":" + publicId;
    }
  }

  /** What the person at the identity receives: the code, a notice without a code, or nothing. */
  public enum Delivery { CODE, NOTICE, NONE }

  /** A send as the caller describes it. */
  public record Send(App app, Identity identity, String network, Purpose purpose, Delivery delivery, String notice,
                     String requestId, String clientIp) {
  }

  /** An accepted send: the id the caller answers with, and the OTP timings. */
  public record Issued(String id, String channel, int expiresIn, int resendAfter) {
  }

  private final OtpStore store;
  private final OtpCodes codes;
  private final OtpDelivery delivery;
  private final OtpMetrics metrics;
  private final AuditLog audit;
  private final OtpSender.Limits limits;
  private final SecurityAlerts alerts;
  private final UserRepository users;

  public VerificationCodes(OtpStore store, OtpCodes codes, OtpDelivery delivery, OtpMetrics metrics, AuditLog audit,
                           OtpSender.Limits limits, SecurityAlerts alerts, UserRepository users) {
    this.store = store;
    this.codes = codes;
    this.delivery = delivery;
    this.metrics = metrics;
    this.audit = audit;
    this.limits = limits;
    this.alerts = alerts;
    this.users = users;
  }

  /** Issues a code under every OTP limit. */
  public Future<Issued> send(Send send) {
    App app = send.app();
    OtpSender.checkPolicy(app.settings(), send.identity());
    String publicId = UUID.randomUUID().toString();
    String storeId = send.purpose().storeId(publicId);
    String code = OtpCodes.generate(app.settings().otpLength());
    OtpStore.SendRequest request = limits.request(app, storeId, send.identity(), codes, code, send.network());
    return store.send(request).compose(outcome -> {
      if (!outcome.accepted()) {
        return refused(send, outcome);
      }
      return deliver(send, publicId, code).map(sent -> new Issued(publicId, send.identity().kind().channel(),
          app.settings().otpTtl(), app.settings().otpResendCooldown()));
    });
  }

  /** The identity a live request of this purpose was sent to, without spending it; null when there is none. */
  public Future<Identity> peek(UUID appId, Purpose purpose, String publicId) {
    return store.pendingIdentity(appId, purpose.storeId(publicId));
  }

  /**
   * Spends the code of a request: its identity, or the OTP failures ({@code otp_expired} for an unknown, expired
   * or used id, {@code otp_invalid} with {@code attempts_left}, {@code otp_attempts_exceeded}, {@code
   * rate_limited}), each audited as {@code otp.failed} with the purpose.
   */
  public Future<Identity> verify(UUID appId, Purpose purpose, String publicId, String code, String requestId,
                                 String clientIp) {
    return settle(appId, purpose, publicId, code, requestId, clientIp, false);
  }

  /**
   * The identity a right code would verify, the code left unspent; a wrong code is counted, audited and refused as
   * {@link #verify} does. For work that must succeed before the code is spent, done only for a right code.
   */
  public Future<Identity> check(UUID appId, Purpose purpose, String publicId, String code, String requestId,
                                String clientIp) {
    return settle(appId, purpose, publicId, code, requestId, clientIp, true);
  }

  private Future<Identity> settle(UUID appId, Purpose purpose, String publicId, String code, String requestId,
                                  String clientIp, boolean checkOnly) {
    String storeId = purpose.storeId(publicId);
    AuditEvent failed = failedEvent(appId, purpose, publicId, requestId, clientIp);
    String network = codes.networkNameOf(appId, clientIp);
    String mac = codes.mac(appId, storeId, Digits.ascii(code.trim()));
    Future<OtpStore.VerifyOutcome> outcome = checkOnly ? store.check(appId, storeId, mac, network)
        : store.verify(appId, storeId, mac, network);
    return outcome.compose(checked -> switch (checked.verdict()) {
      case VERIFIED -> {
        if (!checkOnly) {
          metrics.verified(checked.identity().kind());
        }
        yield Future.succeededFuture(checked.identity());
      }
      case EXPIRED -> {
        metrics.failed("expired");
        yield OtpRefusals.after(audit.record(failed.with("reason", "expired")), expired());
      }
      case BURNED -> {
        metrics.failed("burned");
        long seconds = OtpRefusals.seconds(checked.retryAfterMs());
        yield OtpRefusals.after(audit.record(failed.with("reason", "burned")),
            ApiException.rateLimited(ErrorCode.OTP_ATTEMPTS_EXCEEDED,
                "code: too many wrong codes for this request; request a new code", seconds));
      }
      case LOCKED -> {
        metrics.rateLimited(checked.lockedFor());
        long seconds = OtpRefusals.seconds(checked.retryAfterMs());
        yield OtpRefusals.after(audit.record(failed.with("reason", checked.lockedFor())),
            ApiException.rateLimited(ErrorCode.RATE_LIMITED,
                OtpRefusals.verifyLockedMessage(checked.lockedFor(), "code", seconds), seconds));
      }
      case INVALID -> {
        metrics.failed("invalid");
        // As a code login's wrong code is (h82: neither the lock-out nor the burn of these codes was told).
        List<AuditEvent> events = new ArrayList<>();
        AuditEvent wrong = failed.with("reason", "invalid").with("attempts_left", checked.attemptsLeft());
        events.add(checked.lockedMs() > 0 ? wrong.with("locked_for", OtpRefusals.seconds(checked.lockedMs())) : wrong);
        if (checked.lockedMs() > 0) {
          reportLockout(appId, checked, requestId, clientIp);
        }
        if (checked.attemptsLeft() == 0) {
          metrics.burned();
          events.add(AuditEvent.of(AuditEvent.OTP_BURNED, appId, requestId, clientIp)
              .with("otp_request_id", publicId)
              .with("purpose", purpose.prefix));
        }
        yield OtpRefusals.after(audit.record(events), new ApiException(ErrorCode.OTP_INVALID, "code: wrong code",
            new JsonObject().put("attempts_left", checked.attemptsLeft())));
      }
    });
  }

  /** Tells the security webhook of the identity's lock-out, naming its user when it has one. */
  private void reportLockout(UUID appId, OtpStore.VerifyOutcome checked, String requestId, String clientIp) {
    Identity identity = checked.identity();
    JsonObject data = OtpRefusals.lockedOutData(identity, clientIp, checked.lockedMs());
    String email = identity.kind() == Identity.Kind.EMAIL ? identity.value() : null;
    String phone = identity.kind() == Identity.Kind.PHONE ? identity.value() : null;
    users.idOf(appId, email, phone).otherwise((UUID) null)
        .onSuccess(userId -> alerts.emit(SecurityEvents.IDENTITY_LOCKED_OUT, appId, userId, data, requestId));
  }

  /**
   * A verified code that its user may not use after all (disabled meanwhile): answered as an expired code is, so
   * that the code's holder learns nothing of the user's standing; recorded as {@code otp.failed} with the reason.
   */
  public <T> Future<T> unusable(UUID appId, Purpose purpose, String publicId, UUID userId, String reason,
                                String requestId, String clientIp) {
    AuditEvent refused = failedEvent(appId, purpose, publicId, requestId, clientIp)
        .withUser(userId)
        .with("reason", reason);
    return OtpRefusals.after(audit.record(refused), expired());
  }

  private static AuditEvent failedEvent(UUID appId, Purpose purpose, String publicId, String requestId,
                                        String clientIp) {
    return AuditEvent.of(AuditEvent.OTP_FAILED, appId, requestId, clientIp)
        .with("otp_request_id", publicId)
        .with("purpose", purpose.prefix);
  }

  static ApiException expired() {
    return new ApiException(ErrorCode.OTP_EXPIRED, "the request is unknown, expired or already used; request a new code");
  }

  /**
   * Sends the code (or the notice) once its {@code otp.sent} event is stored. For {@link Delivery#NONE} nothing is
   * sent, but {@code otp.withheld} is stored the same way: the answer waits for one audit write either way, so its
   * time does not tell an identity that has an account from one that has none.
   */
  private Future<Void> deliver(Send send, String publicId, String code) {
    App app = send.app();
    if (send.delivery() == Delivery.NONE) {
      return audit.record(AuditEvent.of(AuditEvent.OTP_WITHHELD, app.id(), send.requestId(), send.clientIp())
          .with("channel", send.identity().kind().channel())
          .with("to", send.identity().masked())
          .with("otp_request_id", publicId)
          .with("purpose", send.purpose().prefix));
    }
    boolean notice = send.delivery() == Delivery.NOTICE;
    metrics.sent(send.identity().kind());
    AuditEvent sent = OtpSender.sentEvent(app.id(), send.identity(), publicId, send.requestId(), send.clientIp())
        .with("purpose", send.purpose().prefix)
        .with("notice", notice);
    OtpMessage message = new OtpMessage(send.identity(), notice ? null : code, app.id(), app.name(), publicId,
        app.settings().otpTtl(), send.requestId(), send.clientIp(), notice ? send.notice() : null);
    // After the answer: an identity with no account gets no delivery, and the delivery's work on this loop (the
    // webhook's request and signature) made the answer for one with an account 1 to 2 ms slower (h64, h68).
    return audit.record(sent).onSuccess(stored -> delivery.deliverUnseen(message));
  }

  private Future<Issued> refused(Send send, OtpStore.SendOutcome outcome) {
    String reason = outcome.refusedFor();
    long seconds = OtpRefusals.seconds(outcome.retryAfterMs());
    metrics.rateLimited(reason);
    AuditEvent event = AuditEvent.of(AuditEvent.RATE_LIMITED, send.app().id(), send.requestId(), send.clientIp())
        .with("reason", reason)
        .with("action", send.purpose().prefix)
        .with("channel", send.identity().kind().channel())
        .with("to", send.identity().masked());
    return OtpRefusals.after(audit.record(event), ApiException.rateLimited(ErrorCode.RATE_LIMITED,
        OtpRefusals.sendMessage(reason, send.identity(), seconds), seconds));
  }
}
