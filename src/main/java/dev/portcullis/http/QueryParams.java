package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

/**
 * A request's query parameters, split at {@code &} only, as the URL standard's form decoding does: Vert.x Web's own
 * reading also splits at {@code ;}, so an OAuth {@code state=ab;cd} came back as {@code ab}, and {@code ;} could pass
 * a parameter a proxy reads as part of another (h52).
 */
public final class QueryParams {

  private QueryParams() {
  }

  /** The query's parameters, names case-insensitive; {@code 400 invalid_request} for a malformed %-escape. */
  public static MultiMap of(RoutingContext ctx) {
    try {
      return ctx.request().params(true);
    } catch (IllegalArgumentException malformed) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "malformed request: check the path, query string and body");
    }
  }
}
