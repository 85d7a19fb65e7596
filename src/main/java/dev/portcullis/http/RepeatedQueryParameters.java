package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import io.vertx.ext.web.RoutingContext;

/**
 * Refuses an API request that gives a query parameter more than once ({@code 400 invalid_request} naming it): no
 * parameter of the API is a list, and answering by the first of {@code ?status=active&status=bogus} answers a
 * question the caller did not ask (h43, h46).
 */
public final class RepeatedQueryParameters {

  private RepeatedQueryParameters() {
  }

  /** On the {@code /v1} and {@code /api} routes: the hosted pages and OpenID Connect answer such requests their way. */
  public static void check(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (!path.startsWith("/v1/") && !path.startsWith("/api/")) {
      ctx.next();
      return;
    }
    var params = QueryParams.of(ctx);
    for (String name : params.names()) {
      if (params.getAll(name).size() > 1) {
        ctx.fail(ApiException.invalid(name, "must be given at most once"));
        return;
      }
    }
    ctx.next();
  }
}
