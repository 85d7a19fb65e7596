package dev.portcullis.core.messages;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.Secrets;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** The OTP verticle's messages: requests and replies of {@code Bus.OTP_*}. */
public final class OtpMessages {

  private OtpMessages() {
  }

  /**
   * Sends a code to an email address or a phone number (one of them; checked by the OTP service).
   * {@code ownerPhoneOnly}: for the console app only, the identity is an owner who has nothing but a phone, who
   * gets an SMS whatever the console's {@code otp_channels}.
   */
  public record Send(UUID appId, String email, String phone, String requestId, String clientIp, boolean ownerPhoneOnly,
                     boolean silent, AuditEvent withheld) implements Bus.Request {

    public Send(UUID appId, String email, String phone, String requestId, String clientIp) {
      this(appId, email, phone, requestId, clientIp, false, false, null);
    }

    public Send(UUID appId, String email, String phone, String requestId, String clientIp, boolean ownerPhoneOnly) {
      this(appId, email, phone, requestId, clientIp, ownerPhoneOnly, false, null);
    }

    /**
     * The same request, kept and limited like a real one but with a code nobody is sent and no code can match:
     * for an identity that must get a real request's answers (cooldown, attempts) without a code. {@code why} is
     * recorded where a real request records its otp.sent: only once the limits let it through.
     */
    public Send asSilent(AuditEvent why) {
      return new Send(appId, email, phone, requestId, clientIp, ownerPhoneOnly, true, why);
    }
  }

  /** A code is on its way. */
  public record Sent(String otpRequestId, String channel, int expiresIn, int resendAfter) {

    public JsonObject toJson() {
      return new JsonObject()
          .put("otp_request_id", otpRequestId)
          .put("channel", channel)
          .put("expires_in", expiresIn)
          .put("resend_after", resendAfter);
    }
  }

  /**
   * Consumes a code; the reply is the token response ({@link TokenMessages.Grant}). {@code tenantId} (may be
   * null) binds the new session to that tenant; the user must be a member. {@code deviceId} and
   * {@code licenseKey} (null when absent, set with {@link #withDevice}): the licensed device the session is to
   * be bound to, and that device's license key, which proves it.
   */
  public record Verify(UUID appId, String otpRequestId, String otp, String requestId, String clientIp, UUID tenantId,
                       UUID deviceId, String licenseKey) implements Bus.Request {

    public Verify(UUID appId, String otpRequestId, String otp, String requestId, String clientIp) {
      this(appId, otpRequestId, otp, requestId, clientIp, null, null, null);
    }

    public Verify(UUID appId, String otpRequestId, String otp, String requestId, String clientIp, UUID tenantId) {
      this(appId, otpRequestId, otp, requestId, clientIp, tenantId, null, null);
    }

    public Verify withDevice(UUID device, String key) {
      return new Verify(appId, otpRequestId, otp, requestId, clientIp, tenantId, device, key);
    }

    /** Without the code and the license key. */
    @Override
    public String toString() {
      return "Verify[" + appId + ", " + otpRequestId + ", " + requestId + ", tenant " + tenantId + ", device "
          + deviceId + "]";
    }
  }

  /**
   * The user a consumed code ({@code Bus.OTP_PROVE}) or a password ({@code Bus.PASSWORD_PROVE}) proves: the user's
   * public JSON, made on first sign-in. {@code credential}: for a password, {@link #credential(String)} of the stored
   * hash it matched, so what the proof opens later can tell that the password changed meanwhile; null for a code.
   */
  public record Proven(UUID userId, JsonObject user, boolean newUser, String credential) {

    public Proven(UUID userId, JsonObject user, boolean newUser) {
      this(userId, user, newUser, null);
    }

    /** A digest of a stored password hash: equal while the password is unchanged, and no hash itself. */
    public static String credential(String passwordHash) {
      return passwordHash == null ? null : Secrets.base64Url(Secrets.sha256(passwordHash));
    }
  }
}
