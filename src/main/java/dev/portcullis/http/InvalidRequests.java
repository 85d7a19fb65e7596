package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpServerRequest;

/**
 * Requests the HTTP decoder refused before any route saw them (a request line or headers too long, a malformed
 * line or header): answered like every other error, with the JSON error contract, a request id and an access-log
 * line, instead of Vert.x's empty body. The connection is closed after, as Vert.x does: its framing is in doubt.
 */
public final class InvalidRequests {

  private InvalidRequests() {
  }

  public static void answer(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status;
    String message;
    if (cause instanceof TooLongHttpLineException) {
      status = 414;
      message = "the request line is too long";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = 431;
      message = "the request headers are too large";
    } else {
      status = 400;
      message = "malformed request: the request line or a header could not be read";
    }
    refuse(request, status, message);
  }

  /**
   * Answers {@code invalid_request} with the status and message, logs the access line, and closes the connection.
   * Closed at once, which flushes the answer first: the decoder may fail on the bytes that follow in the same read
   * (a body it reads by another framing) and close the connection itself, dropping an answer not yet flushed.
   */
  static void refuse(HttpServerRequest request, int status, String message) {
    String requestId = RequestIds.of(request);
    AccessLog.line(requestId, request.method() == null ? "-" : request.method().name(), "unmatched", status, 0, null);
    RequestIds.headers(request.response(), requestId);
    request.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .putHeader("Connection", "close")
        .end(new ApiException(ErrorCode.INVALID_REQUEST, message).toJson().toBuffer());
    request.connection().close();
  }
}
