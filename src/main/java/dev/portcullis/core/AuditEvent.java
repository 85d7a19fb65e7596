package dev.portcullis.core;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * One auth event as it travels to the audit verticle. {@code data} is small (at most 8 KiB of JSON) and
 * never holds a secret, a code, a token or a password: the audit verticle refuses an event whose data has a
 * key such as {@code password}, {@code code}, {@code otp}, {@code token} or {@code refresh_token} (see
 * {@code EventRules}), and the sender's request fails with {@code internal_error}. {@code id} is the id the log
 * stores it under: null for a new one, or the id it was staged under in the outbox, so that a staged event the
 * log already holds is known as such and never stored twice.
 */
public record AuditEvent(String type, UUID appId, UUID userId, String requestId, String clientIp, JsonObject data,
                         UUID id) {

  public AuditEvent(String type, UUID appId, UUID userId, String requestId, String clientIp, JsonObject data) {
    this(type, appId, userId, requestId, clientIp, data, null);
  }

  public static final String OTP_SENT = "otp.sent";
  /** A verification or reset code asked for an identity that gets none (no account, or nothing to verify). */
  public static final String OTP_WITHHELD = "otp.withheld";
  public static final String OTP_VERIFIED = "otp.verified";
  public static final String OTP_FAILED = "otp.failed";
  public static final String OTP_BURNED = "otp.burned";
  public static final String OTP_DELIVERY_FAILED = "otp.delivery_failed";
  public static final String RATE_LIMITED = "rate_limited";
  public static final String USER_CREATED = "user.created";
  public static final String TOKEN_ISSUED = "token.issued";
  public static final String TOKEN_REFRESHED = "token.refreshed";
  public static final String REFRESH_REUSE_DETECTED = "token.reuse_detected";
  public static final String SESSION_REVOKED = "session.revoked";
  public static final String CLIENT_AUTH_FAILED = "client.auth_failed";
  public static final String APP_CREATED = "app.created";
  public static final String APP_CHANGED = "app.changed";
  public static final String APP_DELETED = "app.deleted";
  public static final String APP_SECRET_ROTATED = "app.secret_rotated";
  public static final String APP_KEY_ROTATED = "app.key_rotated";
  public static final String OWNER_SIGNED_IN = "owner.signed_in";
  // passwords and challenges
  public static final String CHALLENGE_ISSUED = "challenge.issued";
  public static final String SIGNUP_REQUESTED = "password.signup_requested";
  public static final String IDENTITY_VERIFIED = "identity.verified";
  public static final String PASSWORD_LOGIN_SUCCEEDED = "password.login_succeeded";
  public static final String PASSWORD_LOGIN_FAILED = "password.login_failed";
  public static final String PASSWORD_LOCKED_OUT = "password.locked_out";
  public static final String PASSWORD_CHANGED = "password.changed";
  public static final String PASSWORD_RESET_REQUESTED = "password.reset_requested";
  public static final String PASSWORD_RESET_COMPLETED = "password.reset_completed";

  /** The app id events are filed under when no app applies (e.g. an unknown app id). */
  public static final UUID SYSTEM_APP = new UUID(0, 0);

  public static AuditEvent of(String type, UUID appId, String requestId, String clientIp) {
    return new AuditEvent(type, appId, null, requestId, clientIp, new JsonObject());
  }

  public AuditEvent withUser(UUID user) {
    return new AuditEvent(type, appId, user, requestId, clientIp, data, id);
  }

  public AuditEvent with(String key, Object value) {
    return new AuditEvent(type, appId, userId, requestId, clientIp, data.copy().put(key, value), id);
  }

  public AuditEvent withId(UUID storedAs) {
    return new AuditEvent(type, appId, userId, requestId, clientIp, data, storedAs);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("type", type)
        .put("app_id", appId == null ? SYSTEM_APP.toString() : appId.toString())
        .put("user_id", userId == null ? null : userId.toString())
        .put("request_id", requestId)
        .put("client_ip", clientIp)
        .put("data", data == null ? new JsonObject() : data);
  }
}
