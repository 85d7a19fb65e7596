package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.RequestContext;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests the HTTP decoder refused before any route saw them (a request line or headers too long, a malformed
 * line or header): answered like every other error, with the JSON error contract, a request id and an access-log
 * line, instead of Vert.x's empty body. The connection is closed after, as Vert.x does: its framing is in doubt.
 */
public final class InvalidRequests {

  private static final Logger ACCESS = LoggerFactory.getLogger("portcullis.access");

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
    String requestId = RequestIds.newId();
    RequestContext.bind(requestId);
    ACCESS.info("request_id={} method={} route=unmatched status={} duration_ms=0 app_id=null", requestId,
        request.method() == null ? "-" : request.method().name(), status);
    request.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .putHeader(RequestIds.HEADER, requestId)
        .end(new ApiException(ErrorCode.INVALID_REQUEST, message).toJson().toBuffer())
        .onComplete(done -> request.connection().close());
  }
}
