package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * Refuses a NUL character in the query string or a form-encoded body ({@code 400 invalid_request}): Postgres
 * cannot store one in text, and a search or a profile answer holding it failed as a 500. JSON bodies have their
 * own check ({@link JsonBody}).
 */
public final class NulCharacters {

  private NulCharacters() {
  }

  public static void check(RoutingContext ctx) {
    String query = ctx.request().query();
    if (holdsNul(query)) {
      ctx.fail(new ApiException(ErrorCode.INVALID_REQUEST, "query: must not contain the NUL character"));
      return;
    }
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")
        && ctx.body().available() && holdsNul(ctx.body().asString())) {
      ctx.fail(new ApiException(ErrorCode.INVALID_REQUEST, "body: must not contain the NUL character"));
      return;
    }
    ctx.next();
  }

  private static boolean holdsNul(String encoded) {
    return encoded != null && (encoded.indexOf('\0') >= 0 || encoded.contains("%00"));
  }
}
