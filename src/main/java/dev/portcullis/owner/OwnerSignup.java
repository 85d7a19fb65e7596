package dev.portcullis.owner;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.OncePerWindow;
import dev.portcullis.core.RedisStore;
import dev.portcullis.core.messages.OtpMessages.Send;
import dev.portcullis.otp.ClientNetwork;
import dev.portcullis.otp.Identity;
import dev.portcullis.otp.OtpDelivery;
import dev.portcullis.security.SecurityEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Who may be sent an owner code ({@code PORTCULLIS_OWNER_SIGNUP}), and owners the operator creates. An
 * identity that may not become an owner gets a silent request (a real one's answers, no code); the refusal is
 * audited ({@code owner.signup_refused}) and reported to the security webhook at most once a minute per
 * client network, so a pumping run cannot flood the receiver either; the report starts when an owner's code would
 * be delivered, 0.1 to 0.6 s after the request, so its work does not slow a stranger's answer (h102).
 */
public final class OwnerSignup {

  static final String OWNER_CREATED = "owner.created";
  static final String SIGNUP_REFUSED = "owner.signup_refused";
  private static final long REFUSAL_REPORT_MS = 60_000;

  private final OwnerRepository owners;
  private final OwnerSignupPolicy policy;
  private final AppDirectory apps;
  private final OncePerWindow refusalReports;
  private final AuditStaging staging;
  private final SecurityEvents securityEvents;
  private final Counter refusals;
  private final Vertx vertx;

  public OwnerSignup(Vertx vertx, OwnerRepository owners, OwnerSignupPolicy policy, AppDirectory apps, RedisStore redis,
                     AuditStaging staging, SecurityEvents securityEvents, MeterRegistry metrics) {
    this.vertx = vertx;
    this.owners = owners;
    this.policy = policy;
    this.apps = apps;
    this.refusalReports = new OncePerWindow(redis, REFUSAL_REPORT_MS);
    this.staging = staging;
    this.securityEvents = securityEvents;
    this.refusals = Counter.builder("portcullis.owner.signup.refusals")
        .description("Codes asked for by identities that may not become owners (answered, not sent)")
        .register(metrics);
  }

  /**
   * The OTP send for this identity. One that may not become an owner gets a silent one (the refusal recorded):
   * kept and limited like a real request, so its cooldown, attempts and limits answer as an owner's do, but with
   * no code sent and none that could match. So does a phone while the console sends no SMS, unless it is the
   * only identity of its owner: an owner who also has an email signs in with that. Every send is anonymous: it
   * spends the strangers' half of the console's hourly limit unless its network signed the identity in. Nothing else
   * here depends on whether the identity is an owner's; the console's channel and country rules apply to every
   * request alike ({@code OtpSender}), so no answer tells an owner's identity from a stranger's.
   */
  Future<Send> sendFor(Identity identity, String requestId, String clientIp) {
    String email = identity.kind() == Identity.Kind.EMAIL ? identity.value() : null;
    String phone = identity.kind() == Identity.Kind.PHONE ? identity.value() : null;
    return owners.find(identity).compose(owner -> consoleSendsSms().compose(sms -> {
      boolean phoneOnly = owner.map(found -> found.email() == null).orElse(false);
      boolean refused = owner.isEmpty() && !policy.allowsNew(identity);
      boolean smsWithheld = identity.kind() == Identity.Kind.PHONE && !sms && !phoneOnly;
      Send asked = new Send(App.CONSOLE_ID, email, phone, requestId, clientIp, phoneOnly);
      // Anyone may ask for any address's code, an owner's too: every send spends the strangers' half of the console's
      // hourly limit, but one from a network that signed the identity in (OtpStore), so owners keep the other half.
      Send send = asked.asAnonymous();
      if (refused) {
        return Future.succeededFuture(send.asSilent(refuse(identity, requestId, clientIp)));
      }
      return Future.succeededFuture(smsWithheld
          ? send.asSilent(AuditEvent.of(AuditEvent.OTP_WITHHELD, App.CONSOLE_ID, requestId, clientIp)
              .with("channel", identity.kind().channel())
              .with("to", identity.masked())
              .with("reason", "sms_off"))
          : send);
    }));
  }

  private Future<Boolean> consoleSendsSms() {
    return apps.find(App.CONSOLE_ID)
        .map(console -> console.map(app -> app.settings().otpChannels().contains("sms")).orElse(false));
  }

  /**
   * Creates an owner for the operator, its {@code owner.created} staged in the same transaction (so a 503 leaves
   * neither); {@code 409 conflict} when the identity is one already.
   */
  Future<OwnerRepository.Owner> create(Identity identity, String requestId, String clientIp) {
    AuditStaging.Batch batch = staging.batch();
    return owners.create(identity, batch.events(owner -> List.of(
            AuditEvent.of(OWNER_CREATED, App.CONSOLE_ID, requestId, clientIp)
                .withUser(owner.id())
                .with("actor", "operator")
                .with(identity.kind().field(), identity.masked()))))
        .compose(created -> created
            .map(batch::recorded)
            .orElseGet(() -> Future.failedFuture(new ApiException(ErrorCode.CONFLICT,
                identity.kind().field() + ": already an owner"))));
  }

  /** Counts and reports a refused sign-up; its event is recorded by the send, once the limits let it through. */
  private AuditEvent refuse(Identity identity, String requestId, String clientIp) {
    refusals.increment();
    vertx.setTimer(OtpDelivery.unseenDelayMs(), id -> reportOncePerMinute(identity, clientIp));
    return AuditEvent.of(SIGNUP_REFUSED, App.CONSOLE_ID, requestId, clientIp)
        .with(identity.kind().field(), identity.masked());
  }

  private void reportOncePerMinute(Identity identity, String clientIp) {
    String network = clientIp == null ? "unknown" : ClientNetwork.of(clientIp);
    refusalReports.first(refusalReports.key("security", "{owner-signup-refused}", network))
        .onSuccess(first -> {
          if (first) {
            securityEvents.publish(SecurityEvents.OWNER_SIGNUP_REFUSED, App.CONSOLE_ID, null, null, new JsonObject()
                .put(identity.kind().field(), identity.masked())
                .put("client_ip", clientIp));
          }
        });
  }
}
