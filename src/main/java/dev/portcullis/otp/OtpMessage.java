package dev.portcullis.otp;

import dev.portcullis.core.DisplayText;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;

/**
 * One code on its way to a person. Holds the code: never logged, never put in a reply or an audit event.
 *
 * @param notice when not null, the message carries this text instead of a code (and {@code code} is null): e.g.
 *     telling the owner of an account that someone tried to sign up with it again
 */
public record OtpMessage(Identity to, String code, UUID appId, String appName, String otpRequestId, int ttlSeconds,
                         String requestId, String clientIp, String notice, Instant at) {

  public OtpMessage(Identity to, String code, UUID appId, String appName, String otpRequestId, int ttlSeconds,
                    String requestId, String clientIp, String notice) {
    this(to, code, appId, appName, otpRequestId, ttlSeconds, requestId, clientIp, notice, Instant.now());
  }

  public OtpMessage(Identity to, String code, UUID appId, String appName, String otpRequestId, int ttlSeconds,
                    String requestId, String clientIp) {
    this(to, code, appId, appName, otpRequestId, ttlSeconds, requestId, clientIp, null);
  }

  /**
   * The most of an app's name a text message carries: the code's text stays one GSM-7 segment (160 characters), two
   * in UCS-2. An owner's 100-character name made it three, and every SMS budget counts messages (h101).
   */
  static final int SMS_NAME_MAX = 30;

  /** The plain text a person reads, naming the app the code is for. */
  public String text() {
    if (notice != null) {
      return notice;
    }
    return "Your " + shownAppName() + " code is " + code + ". It expires in " + duration()
        + ". If you did not ask for it, ignore this message.";
  }

  /** The safe app name, cut to {@link #SMS_NAME_MAX} characters in a text message. */
  private String shownAppName() {
    String name = safeAppName();
    if (to.kind() != Identity.Kind.PHONE || name.codePointCount(0, name.length()) <= SMS_NAME_MAX) {
      return name;
    }
    return name.substring(0, name.offsetByCodePoints(0, SMS_NAME_MAX)).trim();
  }

  public String subject() {
    return "Your " + safeAppName() + (notice != null ? " account" : " sign-in code");
  }

  /**
   * The webhook body of API.md ("OTP delivery"), with {@code at}, when the message was made, under the signature
   * (the same on every retry): a receiver refuses a call older than five minutes, so a captured one cannot be
   * replayed to send the text again.
   */
  public JsonObject webhookBody() {
    return new JsonObject()
        .put("channel", to.kind().channel())
        .put("to", to.value())
        .put("code", code)
        .put("message", text())
        .put("app_id", appId.toString())
        .put("otp_request_id", otpRequestId)
        .put("at", at.toString());
  }

  /**
   * The app name without control characters (so it can go into a mail header) nor text-direction overrides, which
   * a name stored before they were refused may still hold.
   */
  public String safeAppName() {
    return DisplayText.shown(appName.replaceAll("\\p{Cntrl}", " ")).trim();
  }

  /** Without the code: a record's default toString would print it. */
  @Override
  public String toString() {
    return "OtpMessage[to=" + to + ", appId=" + appId + ", otpRequestId=" + otpRequestId + ", requestId=" + requestId + "]";
  }

  private String duration() {
    if (ttlSeconds % 60 != 0) {
      return ttlSeconds + " seconds";
    }
    int minutes = ttlSeconds / 60;
    return minutes == 1 ? "1 minute" : minutes + " minutes";
  }
}
