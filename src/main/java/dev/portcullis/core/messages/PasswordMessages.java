package dev.portcullis.core.messages;

import dev.portcullis.core.Bus;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * The password verticle's messages: requests and replies of {@code Bus.PASSWORD_*}. Requests that carry a
 * password print it masked: a record's default toString would print it.
 */
public final class PasswordMessages {

  private static final String MASKED = "***";

  private PasswordMessages() {
  }

  /** A challenge token for a signup, a login or a reset of one identity (email or phone, checked by the service). */
  public record Challenge(UUID appId, String purpose, String email, String phone, String requestId, String clientIp)
      implements Bus.Request {
  }

  /** A challenge token; {@code difficulty} 0 means no proof of work ({@code pow: null}). */
  public record Challenged(String challengeToken, int expiresIn, int difficulty) {

    public JsonObject toJson() {
      return new JsonObject()
          .put("challenge_token", challengeToken)
          .put("expires_in", expiresIn)
          .put("pow", difficulty == 0 ? null
              : new JsonObject().put("algorithm", "sha256").put("difficulty", difficulty));
    }

    @Override
    public String toString() {
      return "Challenged[difficulty=" + difficulty + "]";
    }
  }

  /** A password signup: no user until the code sent for it is verified. */
  public record Signup(UUID appId, String email, String phone, String password, String challengeToken,
                       String powSolution, JsonObject profile, boolean termsAccepted, String requestId,
                       String clientIp) implements Bus.Request {

    @Override
    public String toString() {
      return "Signup[appId=" + appId + ", password=" + MASKED + ", requestId=" + requestId + "]";
    }
  }

  /** A verification code is on its way (or, for an identity that must not learn otherwise, seems to be). */
  public record Pending(String verificationId, String channel, int expiresIn, int resendAfter) {

    public JsonObject toJson() {
      return new JsonObject()
          .put("verification_id", verificationId)
          .put("channel", channel)
          .put("expires_in", expiresIn)
          .put("resend_after", resendAfter);
    }
  }

  /**
   * Spends a verification code; the reply is the token response. {@code deviceId} binds the session as a
   * {@link Login}'s does, with its {@code licenseKey}.
   */
  public record Verify(UUID appId, String verificationId, String code, UUID tenantId, UUID deviceId,
                       String licenseKey, String requestId, String clientIp) implements Bus.Request {

    @Override
    public String toString() {
      return "Verify[appId=" + appId + ", verificationId=" + verificationId + ", code=" + MASKED + "]";
    }
  }

  /** A new verification code, for a pending verification or an identity (exactly one of them is given). */
  public record Resend(UUID appId, String verificationId, String email, String phone, String requestId,
                       String clientIp) implements Bus.Request {
  }

  /**
   * A password login; the reply is the token response. {@code deviceId} binds the session to a licensed device
   * only together with that device's {@code licenseKey} (a device id alone proves nothing).
   */
  public record Login(UUID appId, String email, String phone, String password, String challengeToken,
                      String powSolution, UUID tenantId, UUID deviceId, String licenseKey, String requestId,
                      String clientIp) implements Bus.Request {

    @Override
    public String toString() {
      return "Login[appId=" + appId + ", password=" + MASKED + ", requestId=" + requestId + "]";
    }
  }

  /** A password change by the holder of an access token; the reply counts the other sessions revoked. */
  public record Change(UUID appId, String accessToken, String currentPassword, String newPassword, String requestId,
                       String clientIp) implements Bus.Request {

    @Override
    public String toString() {
      return "Change[appId=" + appId + ", passwords=" + MASKED + ", requestId=" + requestId + "]";
    }
  }

  /** A reset code for an identity (sent only when it has an account). */
  public record RequestReset(UUID appId, String email, String phone, String challengeToken, String powSolution,
                             String requestId, String clientIp) implements Bus.Request {
  }

  /** A reset is pending: the same answer whether or not the identity has an account. */
  public record ResetPending(String resetId, int expiresIn) {

    public JsonObject toJson() {
      return new JsonObject().put("reset_id", resetId).put("expires_in", expiresIn);
    }
  }

  /** Spends a reset code and sets the new password; the reply counts the sessions revoked. */
  public record Reset(UUID appId, String resetId, String code, String newPassword, String requestId, String clientIp)
      implements Bus.Request {

    @Override
    public String toString() {
      return "Reset[appId=" + appId + ", resetId=" + resetId + ", code=" + MASKED + ", newPassword=" + MASKED + "]";
    }
  }
}
