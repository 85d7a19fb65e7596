package dev.portcullis.otp;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** The wording and timing of OTP refusals, shared by send and verify. */
public final class OtpRefusals {

  private OtpRefusals() {
  }

  /** Whole seconds to wait, rounded up, at least one (Retry-After cannot say "now"). */
  public static long seconds(long millis) {
    return Math.max(1, (millis + 999) / 1000);
  }

  public static String sendMessage(String reason, Identity identity, long seconds) {
    String field = identity.kind().field();
    return switch (reason) {
      case "lockout" -> lockoutMessage(field, seconds);
      case "cooldown" -> field + ": a code was sent moments ago; a new one can be sent in " + seconds + " s";
      case "identity_hourly" -> field + ": too many codes were sent to this " + field + " in the last hour; retry in "
          + seconds + " s";
      case "ip_hourly" -> "client_ip: too many codes were requested from this client IP in the last hour; retry in "
          + seconds + " s";
      case "no_client_ip_hourly" -> "client_ip: too many codes were requested without a client_ip for this app in the "
          + "last hour (pass the end user's client_ip); retry in " + seconds + " s";
      case "identity_pending" -> field + ": too many codes for this " + field + " are pending on other networks; retry in "
          + seconds + " s";
      case "identity_failures" -> field + ": too many wrong codes for this " + field + " in the last hour; retry in "
          + seconds + " s";
      // The same words whether or not the identity has an account: a signup's notice counts as a code does.
      case OtpStore.IDENTITY_UNTRUSTED_HOURLY -> field + ": too many codes were sent to this " + field
          + " in the last hour from networks it has not signed in from; retry in " + seconds + " s";
      case "sms_hourly" -> "phone: this app's SMS budget for the last hour is spent; retry in " + seconds + " s";
      case "sms_country_hourly" -> "phone: this app's SMS budget for this country in the last hour is spent; retry in "
          + seconds + " s";
      // Only anonymous sends (hosted pages, the console's to identities that are no owner's) meet it.
      case OtpStore.APP_ANONYMOUS_HOURLY -> "the share of this app's codes that requests open to anyone may have sent "
          + "in the last hour is spent; retry in " + seconds + " s";
      case OperatorSmsBudget.OWNER_HOURLY -> "phone: the SMS budget of this app's owner for the last hour is spent; "
          + "retry in " + seconds + " s";
      case OperatorSmsBudget.GATEWAY_HOURLY -> "phone: the service's SMS budget for the last hour is spent; retry in "
          + seconds + " s";
      // Only hosted pages meet these, and whoever posts them is told nothing about the app's owner or other apps.
      case OperatorSmsBudget.OWNER_ANONYMOUS_HOURLY, OperatorSmsBudget.GATEWAY_ANONYMOUS_HOURLY,
           OperatorSmsBudget.GATEWAY_OWNER_ANONYMOUS_HOURLY ->
          "phone: the share of the SMS budget that sign-in pages open to anyone may spend in the last hour is spent; "
              + "retry in " + seconds + " s";
      default -> "too many codes were sent for this app in the last hour; retry in " + seconds + " s";
    };
  }

  /** The {@code identity.locked_out} data of a lock-out by wrong codes: masked identity, network, how long. */
  public static JsonObject lockedOutData(Identity identity, String clientIp, long lockedMs) {
    return new JsonObject()
        .put("reason", "otp_failures")
        .put("channel", identity.kind().channel())
        .put(identity.kind().field(), identity.masked())
        .put("client_ip", clientIp)
        .put("locked_for", seconds(lockedMs));
  }

  public static String lockoutMessage(String field, long seconds) {
    return field + ": too many wrong codes; sending and verifying codes is locked for " + seconds + " s";
  }

  /** A verification refused before its code is checked: {@code reason} as the store's LOCKED outcome gives it. */
  public static String verifyLockedMessage(String reason, String field, long seconds) {
    return "identity_failures".equals(reason)
        ? field + ": too many wrong codes for this identity in the last hour; retry in " + seconds + " s"
        : lockoutMessage(field, seconds);
  }

  /** Fails with {@code refusal} once the audit event of the refusal is recorded, or could not be. */
  public static <T> Future<T> after(Future<Void> audited, Throwable refusal) {
    return audited.transform(ignored -> Future.failedFuture(refusal));
  }
}
