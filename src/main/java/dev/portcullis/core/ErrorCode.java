package dev.portcullis.core;

/** Every error code of the HTTP contract, with the status it is answered with. */
public enum ErrorCode {
  INVALID_REQUEST(400, "invalid_request"),
  INVALID_GRANT(400, "invalid_grant"),
  WEAK_PASSWORD(400, "weak_password"),
  INVALID_CLIENT(401, "invalid_client"),
  INVALID_TOKEN(401, "invalid_token"),
  OTP_INVALID(401, "otp_invalid"),
  OTP_EXPIRED(401, "otp_expired"),
  INVALID_REFRESH_TOKEN(401, "invalid_refresh_token"),
  REFRESH_TOKEN_REUSED(401, "refresh_token_reused"),
  SESSION_REVOKED(401, "session_revoked"),
  INVALID_CREDENTIALS(401, "invalid_credentials"),
  INVALID_CHALLENGE(401, "invalid_challenge"),
  INVALID_LICENSE(401, "invalid_license"),
  FORBIDDEN(403, "forbidden"),
  IDENTITY_NOT_VERIFIED(403, "identity_not_verified"),
  USER_DISABLED(403, "user_disabled"),
  DEVICE_LIMIT_REACHED(403, "device_limit_reached"),
  LICENSE_EXPIRED(403, "license_expired"),
  LICENSE_SUSPENDED(403, "license_suspended"),
  LICENSE_REVOKED(403, "license_revoked"),
  NOT_FOUND(404, "not_found"),
  METHOD_NOT_ALLOWED(405, "method_not_allowed"),
  CONFLICT(409, "conflict"),
  PAYLOAD_TOO_LARGE(413, "payload_too_large"),
  UNSUPPORTED_MEDIA_TYPE(415, "unsupported_media_type"),
  RATE_LIMITED(429, "rate_limited"),
  OTP_ATTEMPTS_EXCEEDED(429, "otp_attempts_exceeded"),
  INTERNAL_ERROR(500, "internal_error"),
  UNAVAILABLE(503, "unavailable");

  private final int status;
  private final String code;

  ErrorCode(int status, String code) {
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public static ErrorCode fromCode(String code) {
    for (ErrorCode value : values()) {
      if (value.code.equals(code)) {
        return value;
      }
    }
    return INTERNAL_ERROR;
  }
}
