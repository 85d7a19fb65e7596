package dev.portcullis.core;

import io.vertx.core.json.JsonObject;

/**
 * A domain failure that the HTTP side answers with the JSON error contract. Carries no stack trace:
 * it is an expected outcome, not a bug.
 */
public final class ApiException extends RuntimeException {

  private static final String LOGGED_FIELD = "_logged";
  /** Longer than any field of the contract (settings.hosted_terms_url and the like). */
  private static final int MAX_SHOWN_FIELD = 64;

  private final ErrorCode code;
  private final JsonObject extra;
  private boolean logged;

  public ApiException(ErrorCode code, String message) {
    this(code, message, new JsonObject());
  }

  public ApiException(ErrorCode code, String message, JsonObject extra) {
    super(message, null, false, false);
    this.code = code;
    this.extra = extra;
  }

  /**
   * {@code 400} naming {@code field}. A field name can be the caller's own (a key no request takes), so a long one is
   * cut: an answer must not grow with whatever a caller sends.
   */
  public static ApiException invalid(String field, String problem) {
    return new ApiException(ErrorCode.INVALID_REQUEST, shown(field) + ": " + problem);
  }

  private static String shown(String field) {
    if (field == null || field.codePointCount(0, field.length()) <= MAX_SHOWN_FIELD) {
      return field;
    }
    return field.substring(0, field.offsetByCodePoints(0, MAX_SHOWN_FIELD)) + "…";
  }

  /** A login or refresh naming a tenant its user is no member of (a new identity is a member of none). */
  public static ApiException notTenantMember() {
    return new ApiException(ErrorCode.FORBIDDEN, "tenant_id: the user is not a member of this tenant");
  }

  public static ApiException unavailable(String what) {
    return new ApiException(ErrorCode.UNAVAILABLE, what + " is unavailable, retry shortly",
        new JsonObject().put("retry_after", 1));
  }

  public static ApiException rateLimited(ErrorCode code, String message, long retryAfterSeconds) {
    return new ApiException(code, message, new JsonObject().put("retry_after", Math.max(1, retryAfterSeconds)));
  }

  public ErrorCode code() {
    return code;
  }

  /** Extra body fields, such as {@code attempts_left} or {@code retry_after}. */
  public JsonObject extra() {
    return extra;
  }

  /** Seconds for the Retry-After header, or -1 when the answer has none. */
  public long retryAfter() {
    Number value = extra.getNumber("retry_after");
    return value == null ? -1 : value.longValue();
  }

  /** True once a service has logged this failure, so the HTTP side does not log it a second time. */
  public boolean logged() {
    return logged;
  }

  public ApiException markLogged() {
    this.logged = true;
    return this;
  }

  /** The form that crosses the event bus: the response body plus the logged flag. */
  public JsonObject toWire() {
    JsonObject wire = toJson();
    return logged ? wire.put(LOGGED_FIELD, true) : wire;
  }

  public JsonObject toJson() {
    return new JsonObject().put("error", code.code()).put("message", getMessage()).mergeIn(extra);
  }

  public static ApiException fromJson(JsonObject json) {
    JsonObject extra = json.copy();
    extra.remove("error");
    extra.remove("message");
    boolean wasLogged = Boolean.TRUE.equals(extra.remove(LOGGED_FIELD));
    ApiException failure = new ApiException(ErrorCode.fromCode(json.getString("error")), json.getString("message"), extra);
    return wasLogged ? failure.markLogged() : failure;
  }
}
