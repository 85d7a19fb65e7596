package dev.portcullis.otp;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.AppSettings;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Secrets;
import dev.portcullis.core.GatewayConfig;
import io.vertx.core.Future;
import dev.portcullis.core.messages.OtpMessages.Send;
import dev.portcullis.core.messages.OtpMessages.Sent;
import java.util.List;
import java.util.UUID;

/**
 * {@code OTP_SEND}: checks the identity against the app's policy, asks Redis to issue a code under every limit,
 * answers, and hands the code to delivery.
 */
public final class OtpSender {

  /**
   * Hourly send limits from the gateway configuration: per client network, for the app's one bucket of requests
   * without a client IP, per app, and the operator's ceiling of any app's SMS budget (across identities), and per
   * identity from the networks that never signed it in (across networks: {@code perIdentityUntrusted}).
   */
  public record Limits(int perNetwork, int withoutClientIp, int perApp, int smsCeiling, int smsPerOwner,
                       int smsPerGateway, int perIdentityUntrusted) {

    /**
     * Codes (and signup notices) an identity may be sent in an hour from networks that never signed it in, all of
     * them together: twice an app's default {@code otp_max_sends_per_hour} (5, per network), enough for a user
     * trying a few devices, and a twelfth of what a stranger rotating networks could have sent before (about 120 an
     * hour, probe h32). Requests without {@code client_ip} are not counted: their one bucket has its own limit.
     */
    static final int DEFAULT_PER_IDENTITY_UNTRUSTED = 10;

    public static Limits from(GatewayConfig config) {
      return new Limits(
          config.integer(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IP, 1, 100_000_000),
          config.integer(GatewayConfig.OTP_SENDS_PER_HOUR_WITHOUT_CLIENT_IP, 1_000, 1, 100_000_000),
          config.integer(GatewayConfig.OTP_SENDS_PER_HOUR_PER_APP, 1, 100_000_000),
          config.integer(GatewayConfig.SMS_MAX_SENDS_PER_HOUR_PER_APP, 1_000, 1, 100_000_000),
          config.integer(GatewayConfig.SMS_MAX_SENDS_PER_HOUR_PER_OWNER, 5_000, 0, 100_000_000),
          config.integer(GatewayConfig.SMS_MAX_SENDS_PER_HOUR, OperatorSmsBudget.NONE, 0, 100_000_000),
          config.integer(GatewayConfig.OTP_SENDS_PER_HOUR_PER_IDENTITY, DEFAULT_PER_IDENTITY_UNTRUSTED, 1,
              100_000_000));
    }

    /**
     * What the store is asked for one code ({@code storeId}) under every limit: the identity's and the network's
     * (or the app's bucket of requests without a client IP, when {@code network} is null), the app's, and for a
     * phone the app's SMS budgets under the operator's ceiling, and the operator's ceilings of the app's owner and
     * of the gateway ({@link OperatorSmsBudget}). A silent request to a phone meets and spends
     * them too, though no SMS goes out: were it exempt, a spent budget would refuse only the phones that really
     * get codes (the console's owners) and so tell them apart. Asked for by the app's backend.
     */
    public OtpStore.SendRequest request(App app, String storeId, Identity identity, OtpCodes codes, String code,
                                        String network) {
      return request(app, storeId, identity, codes, code, network, false);
    }

    /**
     * The same, {@code anonymous} when anyone may have asked for it (a hosted page; the console): the app's hourly
     * limit ({@link OtpStore#anonymousShare}; on the console, unless its network signed the identity in) and the
     * operator's ceilings ({@link OperatorSmsBudget}) then let it spend only their anonymous share.
     */
    OtpStore.SendRequest request(App app, String storeId, Identity identity, OtpCodes codes, String code,
                                 String network, boolean anonymous) {
      AppSettings settings = app.settings();
      boolean sms = identity.kind() == Identity.Kind.PHONE;
      return new OtpStore.SendRequest(app.id(), storeId, identity, codes.identityName(app.id(), identity),
          codes.mac(app.id(), storeId, code), settings.otpMaxAttempts(), settings.otpTtl(),
          settings.otpResendCooldown(), settings.otpMaxSendsPerHour(),
          network == null ? OtpStore.NO_NETWORK : codes.networkName(app.id(), network),
          network == null ? withoutClientIp : perNetwork, perApp,
          sms ? Math.min(settings.smsMaxSendsPerHour(), smsCeiling) : 0,
          sms ? Math.min(settings.smsMaxSendsPerHourPerCountry(), smsCeiling) : 0,
          app.ownerId(), sms ? smsPerOwner : OperatorSmsBudget.NONE,
          sms && !app.isConsole() ? smsPerGateway : OperatorSmsBudget.NONE, anonymous, perIdentityUntrusted,
          codes.mailboxName(app.id(), identity));
    }
  }

  private final AppDirectory apps;
  private final OtpStore store;
  private final OtpCodes codes;
  private final OtpDelivery delivery;
  private final OtpMetrics metrics;
  private final AuditLog audit;
  private final Limits limits;

  public OtpSender(AppDirectory apps, OtpStore store, OtpCodes codes, OtpDelivery delivery, OtpMetrics metrics,
                   AuditLog audit, Limits limits) {
    this.apps = apps;
    this.store = store;
    this.codes = codes;
    this.delivery = delivery;
    this.metrics = metrics;
    this.audit = audit;
    this.limits = limits;
  }

  public Future<Sent> send(Send request) {
    Identity identity = Identity.of(request.email(), request.phone());
    String network = ClientNetwork.of(request.clientIp());
    return apps.find(request.appId())
        .map(app -> app.orElseThrow(AppDirectory::invalidClient))
        .compose(app -> {
          if (app.isConsole()) {
            checkConsolePolicy(app.settings(), identity);
          } else if (!request.silent()) {
            checkPolicy(app.settings(), identity);
          }
          return issue(app, identity, network, request);
        });
  }

  /** {@code otp.sent}: the channel, the masked address and the request id of a code on its way. */
  public static AuditEvent sentEvent(UUID appId, Identity identity, String otpRequestId, String requestId,
                                     String clientIp) {
    return AuditEvent.of(AuditEvent.OTP_SENT, appId, requestId, clientIp)
        .with("channel", identity.kind().channel())
        .with("to", identity.masked())
        .with("otp_request_id", otpRequestId);
  }

  /** Whether the app sends codes to this identity's channel (and country): 400 or 403 when it does not. */
  public static void checkPolicy(AppSettings settings, Identity identity) {
    String channel = identity.kind().channel();
    if (!settings.otpChannels().contains(channel)) {
      throw ApiException.invalid(identity.kind().field(), "this app does not send codes by " + channel);
    }
    if (identity.kind() == Identity.Kind.PHONE) {
      checkCountry(settings, identity);
    }
  }

  private static void checkCountry(AppSettings settings, Identity phone) {
    List<String> countries = settings.smsAllowedCountries();
    if (countries != null && !countries.contains(phone.country())) {
      throw new ApiException(ErrorCode.FORBIDDEN, "phone: this app does not send SMS to country " + phone.country());
    }
    if (phone.premiumRate()) {
      throw new ApiException(ErrorCode.FORBIDDEN, "phone: codes are not sent to premium-rate or shared-cost numbers");
    }
  }

  /**
   * The console's rules, the same for every owner request, real or silent, whoever's identity it is: codes by
   * email only while its otp_channels has email, SMS only to its allowed countries. Whether a phone is sent a
   * code at all (SMS off, or to an owner with nothing but a phone) was decided before, as a silent request.
   */
  private static void checkConsolePolicy(AppSettings settings, Identity identity) {
    if (identity.kind() == Identity.Kind.EMAIL) {
      checkPolicy(settings, identity);
    } else {
      checkCountry(settings, identity);
    }
  }

  private Future<Sent> issue(App app, Identity identity, String network, Send request) {
    AppSettings settings = app.settings();
    String otpRequestId = UUID.randomUUID().toString();
    // A silent request's code is no code at all (random text no digits can match), and it is never delivered.
    String code = request.silent() ? Secrets.randomToken(24) : OtpCodes.generate(settings.otpLength());
    OtpStore.SendRequest send = limits.request(app, otpRequestId, identity, codes, code, network,
        request.anonymous());
    String requestId = request.requestId();
    String clientIp = request.clientIp();
    return store.send(send).compose(outcome -> {
      if (!outcome.accepted()) {
        return refused(app.id(), identity, outcome, request);
      }
      Sent answer = new Sent(otpRequestId, identity.kind().channel(), settings.otpTtl(), settings.otpResendCooldown());
      if (request.silent()) {
        return request.withheld() == null ? Future.succeededFuture(answer)
            : audit.record(request.withheld()).map(v -> answer);
      }
      metrics.sent(identity.kind());
      AuditEvent sent = sentEvent(app.id(), identity, otpRequestId, requestId, clientIp);
      OtpMessage message = new OtpMessage(identity, code, app.id(), app.name(), otpRequestId, settings.otpTtl(),
          requestId, clientIp);
      // The console's code goes out to an owner only (a stranger's send is silent): it leaves unseen.
      return audit.record(sent)
          .onSuccess(v -> {
            if (app.isConsole()) {
              delivery.deliverUnseen(message);
            } else {
              delivery.deliver(message);
            }
          })
          .map(v -> answer);
    });
  }

  private Future<Sent> refused(UUID appId, Identity identity, OtpStore.SendOutcome outcome, Send request) {
    String reason = outcome.refusedFor();
    long seconds = OtpRefusals.seconds(outcome.retryAfterMs());
    metrics.rateLimited(reason);
    AuditEvent event = AuditEvent.of(AuditEvent.RATE_LIMITED, appId, request.requestId(), request.clientIp())
        .with("reason", reason)
        .with("action", "send")
        .with("channel", identity.kind().channel())
        .with("to", identity.masked());
    ApiException refusal = ApiException.rateLimited(ErrorCode.RATE_LIMITED,
        OtpRefusals.sendMessage(reason, identity, seconds), seconds);
    // The console's sends and the hosted pages' are anyone's to make, again and again: their refusals are counted in
    // the metrics, not one audit row each.
    return App.CONSOLE_ID.equals(appId) || request.anonymous() ? Future.failedFuture(refusal)
        : OtpRefusals.after(audit.record(event), refusal);
  }
}
