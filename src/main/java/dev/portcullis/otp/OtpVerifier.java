package dev.portcullis.otp;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.Digits;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.license.DeviceBinding;
import dev.portcullis.security.SecurityEvents;
import dev.portcullis.user.UserRepository;
import io.vertx.core.Future;
import dev.portcullis.core.messages.OtpMessages.Proven;
import dev.portcullis.core.messages.OtpMessages.Verify;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.Issue;
import dev.portcullis.core.messages.TokenMessages.SignIn;
import io.vertx.core.json.JsonObject;
import dev.portcullis.core.Postgres;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code OTP_VERIFY} and {@code OTP_PROVE}: consume a code atomically in Redis, then the user of its identity is
 * found or made and, for a login, a session opened; the code's audit events are stored before the answer.
 */
public final class OtpVerifier {

  private final OtpStore store;
  private final OtpCodes codes;
  private final UserRepository users;
  private final Bus bus;
  private final OtpMetrics metrics;
  private final AuditLog audit;
  private final SecurityEvents securityEvents;
  private final DeviceBinding devices;

  public OtpVerifier(OtpStore store, OtpCodes codes, UserRepository users, Bus bus, OtpMetrics metrics,
                     AuditLog audit, DeviceBinding devices, SecurityEvents securityEvents) {
    this.store = store;
    this.codes = codes;
    this.users = users;
    this.bus = bus;
    this.metrics = metrics;
    this.audit = audit;
    this.securityEvents = securityEvents;
    this.devices = devices;
  }

  /**
   * {@code OTP_VERIFY}: consumes the code and answers the token response of a new session. Without a device the
   * token service finds or makes the user and opens its session in one statement, and records the code's events
   * with its own; a device's license must be checked against the user first, so that login finds the user before.
   */
  public Future<Grant> verify(Verify request) {
    return consume(request, false, (call, otpRequestId, identity) -> request.deviceId() == null
        ? signIn(call, otpRequestId, identity)
        : beforeFirstUser(call, otpRequestId, identity, request)
            .compose(goOn -> withUser(call, otpRequestId, identity, (found, recorded) -> issue(call, found, recorded,
                request))));
  }

  /**
   * What refuses a device-bound login of an identity without a user before one is made (its code spent, its proof
   * recorded), so that a refused first login makes no account and the next one still reports new_user: a tenant
   * (a new identity is a member of none), a key or device the login cannot bind. A user found goes on; binding
   * checks the same for it once the user is known.
   */
  private Future<Void> beforeFirstUser(Call call, String otpRequestId, Identity identity, Verify request) {
    return users.idOf(call.appId(), valueIf(identity, Identity.Kind.EMAIL), valueIf(identity, Identity.Kind.PHONE))
        .compose(userId -> {
          if (userId != null) {
            return Future.succeededFuture();
          }
          if (call.tenantId() != null) {
            return refuseBeforeUser(call, otpRequestId, identity, ApiException.notTenantMember());
          }
          return devices.precheck(call.appId(), request.deviceId(), request.licenseKey())
              .recover(refused -> refuseBeforeUser(call, otpRequestId, identity, refused));
        });
  }

  /** A login refused after its code was spent but before a user is made: the code's proof is recorded all the same. */
  private Future<Void> refuseBeforeUser(Call call, String otpRequestId, Identity identity, Throwable refusal) {
    return audit.record(List.of(verifiedEvent(call, otpRequestId, identity)))
        .compose(stored -> Future.failedFuture(refusal));
  }

  /**
   * {@code OTP_PROVE}: consumes the code and answers the user it proves, without a session (the hosted pages
   * open theirs when the app redeems the flow's authorization code). The limits and events are the same, but for
   * refusals that name no code checked (a request expired, burned or locked): the pages are anyone's to post, again
   * and again, so those are counted in the metrics, not written to the audit log one row per post.
   */
  public Future<Proven> prove(Verify request) {
    return consume(request, true, (call, otpRequestId, identity) -> withUser(call, otpRequestId, identity,
        (found, recorded) -> found.disabled()
            // A disabled user proves the code and gets nothing, as at verify-otp: a conversation's result, for one,
            // is a sign-in its backend trusts without another check.
            ? recorded.compose(stored -> Future.<Proven>failedFuture(
                new ApiException(ErrorCode.USER_DISABLED, "the user is disabled")))
            : recorded.map(stored -> new Proven(found.user().id(), found.user().toJson(), found.created()))));
  }

  /** What follows a code verified for an identity. */
  private interface Verified<T> {
    Future<T> apply(Call call, String otpRequestId, Identity identity);
  }

  /** What follows a verified code once its user is found or made and the code's events are being recorded. */
  private interface Finish<T> {
    Future<T> apply(UserRepository.Found found, Future<Void> recorded);
  }

  /** {@code anonymous}: asked for by whoever posts a hosted page, not by the app's authenticated backend. */
  private <T> Future<T> consume(Verify request, boolean anonymous, Verified<T> verified) {
    Call call = new Call(request.appId(), request.requestId(), request.clientIp(), request.tenantId(),
        anonymous || App.CONSOLE_ID.equals(request.appId()));
    String otp = request.otp();
    if (otp == null) {
      throw ApiException.invalid("otp", "is required");
    }
    UUID otpRequestId = AppDirectory.parseUuid(request.otpRequestId());
    if (otpRequestId == null) {
      return expired(call, null);
    }
    String id = otpRequestId.toString();
    String mac = codes.mac(call.appId(), id, Digits.ascii(otp.trim()));
    String network = codes.networkNameOf(call.appId(), call.clientIp());
    return store.verify(call.appId(), id, mac, network).compose(outcome -> switch (outcome.verdict()) {
      case EXPIRED -> expired(call, id);
      case BURNED -> burned(call, id, outcome.retryAfterMs());
      case LOCKED -> locked(call, id, outcome.lockedFor(), outcome.retryAfterMs());
      case INVALID -> invalid(call, id, outcome);
      case VERIFIED -> {
        metrics.verified(outcome.identity().kind());
        yield verified.apply(call, id, outcome.identity());
      }
    });
  }

  /** {@code anyones}: refusals that check no code are counted in the metrics only (the console, the hosted pages). */
  private record Call(UUID appId, String requestId, String clientIp, UUID tenantId, boolean anyones) {

    AuditEvent event(String type, String otpRequestId) {
      return AuditEvent.of(type, appId, requestId, clientIp).with("otp_request_id", otpRequestId);
    }
  }

  private <T> Future<T> expired(Call call, String otpRequestId) {
    metrics.failed("expired");
    ApiException expired = new ApiException(ErrorCode.OTP_EXPIRED,
        "otp_request_id: unknown, expired or already used; request a new code");
    if (call.anyones()) {
      // Anyone may present any id to the console or post a hosted page again: an id that names no live request
      // names nobody, and writing a row for each would let a stranger grow the audit log without bound.
      return Future.failedFuture(expired);
    }
    return OtpRefusals.after(audit.record(call.event(AuditEvent.OTP_FAILED, otpRequestId).with("reason", "expired")),
        expired);
  }

  private <T> Future<T> burned(Call call, String otpRequestId, long retryAfterMs) {
    metrics.failed("burned");
    long seconds = OtpRefusals.seconds(retryAfterMs);
    ApiException burned = ApiException.rateLimited(ErrorCode.OTP_ATTEMPTS_EXCEEDED,
        "otp: too many wrong codes for this request; request a new code", seconds);
    // The request's otp.burned was recorded with its last wrong code; what follows it checks no code.
    return call.anyones() ? Future.failedFuture(burned)
        : OtpRefusals.after(audit.record(call.event(AuditEvent.OTP_FAILED, otpRequestId).with("reason", "burned")),
            burned);
  }

  private <T> Future<T> locked(Call call, String otpRequestId, String reason, long retryAfterMs) {
    metrics.rateLimited(reason);
    long seconds = OtpRefusals.seconds(retryAfterMs);
    AuditEvent event = call.event(AuditEvent.RATE_LIMITED, otpRequestId).with("reason", reason).with("action", "verify");
    ApiException locked = ApiException.rateLimited(ErrorCode.RATE_LIMITED,
        OtpRefusals.verifyLockedMessage(reason, "otp", seconds), seconds);
    return call.anyones() ? Future.failedFuture(locked) : OtpRefusals.after(audit.record(event), locked);
  }

  private <T> Future<T> invalid(Call call, String otpRequestId, OtpStore.VerifyOutcome outcome) {
    metrics.failed("invalid");
    List<AuditEvent> events = new ArrayList<>();
    AuditEvent failed = call.event(AuditEvent.OTP_FAILED, otpRequestId)
        .with("reason", "invalid")
        .with("attempts_left", outcome.attemptsLeft());
    events.add(outcome.lockedMs() > 0 ? failed.with("locked_for", OtpRefusals.seconds(outcome.lockedMs())) : failed);
    if (outcome.lockedMs() > 0) {
      reportLockout(call, outcome);
    }
    if (outcome.attemptsLeft() == 0) {
      metrics.burned();
      events.add(call.event(AuditEvent.OTP_BURNED, otpRequestId));
    }
    return OtpRefusals.after(audit.record(events), new ApiException(ErrorCode.OTP_INVALID,
        "otp: wrong code", new JsonObject().put("attempts_left", outcome.attemptsLeft())));
  }

  /** Tells the security webhook, naming the identity's user when it has one; the answer does not wait for it. */
  private void reportLockout(Call call, OtpStore.VerifyOutcome outcome) {
    Identity identity = outcome.identity();
    JsonObject data = OtpRefusals.lockedOutData(identity, call.clientIp(), outcome.lockedMs());
    users.idOf(call.appId(), valueIf(identity, Identity.Kind.EMAIL), valueIf(identity, Identity.Kind.PHONE))
        .otherwise((UUID) null)
        .onSuccess(userId -> securityEvents.publish(SecurityEvents.IDENTITY_LOCKED_OUT, call.appId(), userId, null,
            data));
  }

  /** The session of a verified code: user, session and the code's events in the token service's one sign-in. */
  private Future<Grant> signIn(Call call, String otpRequestId, Identity identity) {
    return bus.request(Bus.TOKEN_SIGN_IN, new SignIn(call.appId(), valueIf(identity, Identity.Kind.EMAIL),
        valueIf(identity, Identity.Kind.PHONE), call.tenantId(), call.requestId(), call.clientIp(),
        List.of(verifiedEvent(call, otpRequestId, identity)), userCreatedEvent(call, identity)));
  }

  /** Finds or makes the identity's user, then goes on while the code's events are being recorded. */
  private <T> Future<T> withUser(Call call, String otpRequestId, Identity identity, Finish<T> finish) {
    return users.findOrCreate(call.appId(), valueIf(identity, Identity.Kind.EMAIL),
            valueIf(identity, Identity.Kind.PHONE))
        .recover(OtpVerifier::appGone)
        .compose(found -> {
          UUID userId = found.user().id();
          List<AuditEvent> events = new ArrayList<>();
          events.add(verifiedEvent(call, otpRequestId, identity).withUser(userId));
          if (found.created()) {
            events.add(userCreatedEvent(call, identity).withUser(userId));
          }
          // Recorded first, so the audit verticle receives these events before the token service's token.issued.
          return finish.apply(found, audit.record(events));
        });
  }

  /** The identity's email or phone when it is of that kind, else null. */
  private static String valueIf(Identity identity, Identity.Kind kind) {
    return identity.kind() == kind ? identity.value() : null;
  }

  private static AuditEvent verifiedEvent(Call call, String otpRequestId, Identity identity) {
    return call.event(AuditEvent.OTP_VERIFIED, otpRequestId).with("channel", identity.kind().channel());
  }

  private static AuditEvent userCreatedEvent(Call call, Identity identity) {
    return AuditEvent.of(AuditEvent.USER_CREATED, call.appId(), call.requestId(), call.clientIp())
        .with(identity.kind().field(), identity.masked());
  }

  /** The session of a verified code, bound to the device the request names (with its license key) if any. */
  private Future<Grant> issue(Call call, UserRepository.Found found, Future<Void> recorded, Verify request) {
    Issue login = Issue.login(call.appId(), found.user().id(), found.created(), call.requestId(), call.clientIp())
        .withTenant(call.tenantId());
    Future<Issue> issue = devices.bind(login, request.deviceId(), request.licenseKey());
    return bothDone(recorded, issue.compose(bound -> bus.request(Bus.TOKEN_ISSUE, bound)));
  }

  /**
   * The token response once the code's events are stored and the token is issued. The events are recorded
   * while the token is being issued rather than before, so the answer waits for one audit commit, not two in
   * a row. It still waits for both: a 2xx means every event of the login is stored. The code is spent either
   * way, so its events are kept when issuing fails; the answer is then the failure (the audit one first).
   */
  private static Future<Grant> bothDone(Future<Void> recorded, Future<Grant> issued) {
    return Future.join(recorded, issued)
        .transform(done -> recorded.failed() ? Future.failedFuture(recorded.cause()) : issued);
  }

  /** The app was deleted while its user was signing in: the client's credentials are no longer valid. */
  private static Future<UserRepository.Found> appGone(Throwable failure) {
    return "app_id".equals(Postgres.missingReference(failure))
        ? Future.failedFuture(AppDirectory.invalidClient())
        : Future.failedFuture(failure);
  }
}
