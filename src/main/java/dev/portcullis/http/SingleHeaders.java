package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Refuses a request that gives a header more than once where only one may be ({@code 400 invalid_request}).
 * {@code Authorization}: every reader takes the first, a proxy in front may take another, so that two parties could
 * judge one request by different credentials (RFC 9110 §5.3 allows a repeated field only where its value is a list,
 * which this one's is not). {@code Host}: RFC 9112 §3.2 asks for a 400 (h55).
 */
public final class SingleHeaders {

  private static final List<String> ONCE = List.of("Authorization", "Host");

  private SingleHeaders() {
  }

  public static void check(RoutingContext ctx) {
    for (String name : ONCE) {
      if (ctx.request().headers().getAll(name).size() > 1) {
        ctx.fail(new ApiException(ErrorCode.INVALID_REQUEST, name + ": must be given once"));
        return;
      }
    }
    ctx.next();
  }
}
