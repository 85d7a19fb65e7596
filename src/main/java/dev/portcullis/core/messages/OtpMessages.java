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
                     boolean silent, AuditEvent withheld, boolean anonymous) implements Bus.Request {

    public Send(UUID appId, String email, String phone, String requestId, String clientIp) {
      this(appId, email, phone, requestId, clientIp, false, false, null, false);
    }

    public Send(UUID appId, String email, String phone, String requestId, String clientIp, boolean ownerPhoneOnly) {
      this(appId, email, phone, requestId, clientIp, ownerPhoneOnly, false, null, false);
    }

    /**
     * The same request, asked for by anyone (whoever posts a hosted page, or the console's sign-in), not by the app's
     * authenticated backend: it spends only the anonymous share of the app's hourly limit (on the console, unless
     * from a network that signed the identity in) and of the operator's SMS ceilings, and its refusals are counted in
     * the metrics, not written to the audit log one row per post.
     */
    public Send asAnonymous() {
      return new Send(appId, email, phone, requestId, clientIp, ownerPhoneOnly, silent, withheld, true);
    }

    /**
     * The same request, kept and limited like a real one but with a code nobody is sent and no code can match:
     * for an identity that must get a real request's answers (cooldown, attempts) without a code. {@code why} is
     * recorded where a real request records its otp.sent: only once the limits let it through.
     */
    public Send asSilent(AuditEvent why) {
      return new Send(appId, email, phone, requestId, clientIp, ownerPhoneOnly, true, why, anonymous);
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
   * public JSON, made on first sign-in. {@code credential}: for a password, {@link #credential(long)} of the
   * password's generation, so what the proof opens later can tell that the password changed meanwhile; null for a code.
   */
  public record Proven(UUID userId, JsonObject user, boolean newUser, String credential) {

    private static final String GENERATION = "generation:";

    public Proven(UUID userId, JsonObject user, boolean newUser) {
      this(userId, user, newUser, null);
    }

    /** The credential of a password sign-in: the generation of the password it proved. */
    public static String credential(long passwordGeneration) {
      return GENERATION + passwordGeneration;
    }

    /**
     * Whether the user's password is still the one a sign-in's {@code credential} proved. A credential made before
     * the generation was counted (V112, in a code issued across the upgrade) is a digest of the stored hash.
     */
    public static boolean stillProves(String credential, String passwordHash, long passwordGeneration) {
      if (credential.startsWith(GENERATION)) {
        return credential.equals(credential(passwordGeneration));
      }
      return passwordHash != null && credential.equals(Secrets.base64Url(Secrets.sha256(passwordHash)));
    }
  }
}
