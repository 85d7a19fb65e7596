package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.ext.web.RoutingContext;

/**
 * Refuses a request with more than one {@code Authorization} header ({@code 400 invalid_request}): every reader
 * takes the first, a proxy in front may take another, so that two parties could judge one request by different
 * credentials. RFC 9110 §5.3 allows a repeated field only where its value is a list, which this one's is not.
 */
public final class RepeatedAuthorization {

  private RepeatedAuthorization() {
  }

  public static void check(RoutingContext ctx) {
    if (ctx.request().headers().getAll("Authorization").size() > 1) {
      ctx.fail(new ApiException(ErrorCode.INVALID_REQUEST, "Authorization: must be given once"));
      return;
    }
    ctx.next();
  }
}
