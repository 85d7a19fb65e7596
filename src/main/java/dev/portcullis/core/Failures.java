package dev.portcullis.core;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/** Turns any failure into the {@link ApiException} the client is answered with. */
public final class Failures {

  private Failures() {
  }

  /**
   * Classifies a failure. Outages are already {@code unavailable} ApiExceptions when they get here (see
   * {@link Postgres} and {@link RedisStore}), and an event-bus timeout becomes one here; a write that refers to a
   * row deleted meanwhile is {@code not_found}; anything else that is not a domain outcome is a bug and becomes
   * {@code internal_error}.
   */
  public static ApiException toApi(Throwable failure) {
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof ReplyException reply) {
      return fromReply(reply);
    }
    String missing = Postgres.missingReference(failure);
    if (missing != null) {
      // Checked before the write, then deleted by a concurrent request: as if the write had come a moment later.
      return new ApiException(ErrorCode.NOT_FOUND, missing + ": no longer exists (deleted while this request ran)");
    }
    return new ApiException(ErrorCode.INTERNAL_ERROR, "internal error");
  }

  /**
   * True for exceptions that only our own code throws (a null, a bad cast, a bad argument): inside a
   * backend call they are bugs to log with their stack, not outages to answer with 503.
   */
  public static boolean isBug(Throwable failure) {
    return failure instanceof NullPointerException || failure instanceof ClassCastException
        || failure instanceof IllegalArgumentException || failure instanceof IndexOutOfBoundsException
        || failure instanceof ArithmeticException || failure instanceof UnsupportedOperationException
        || failure instanceof java.util.NoSuchElementException;
  }

  /** True for failures that are our bugs rather than domain outcomes or outages. */
  public static boolean isInternal(ApiException failure) {
    return failure.code() == ErrorCode.INTERNAL_ERROR;
  }

  private static ApiException fromReply(ReplyException reply) {
    if (reply.failureType() == ReplyFailure.TIMEOUT) {
      return ApiException.unavailable("the service");
    }
    if (reply.failureType() == ReplyFailure.NO_HANDLERS) {
      return new ApiException(ErrorCode.INTERNAL_ERROR, "internal error");
    }
    String message = reply.getMessage();
    if (message != null && message.startsWith("{")) {
      return ApiException.fromJson(new JsonObject(message));
    }
    return new ApiException(ErrorCode.INTERNAL_ERROR, "internal error");
  }
}
