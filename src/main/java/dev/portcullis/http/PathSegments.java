package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.ext.web.RoutingContext;

/**
 * Refuses a path holding a dot segment ({@code .} or {@code ..}, %-encoded or not) or an empty one ({@code //}).
 * The router matches the path after removing those (RFC 3986 §5.2.4), so a client that puts an id it was given
 * into {@code DELETE /v1/apps/{app}/users/{id}} would, for the id {@code ..}, delete the app itself.
 */
public final class PathSegments {

  private PathSegments() {
  }

  public static void check(RoutingContext ctx) {
    if (unsafe(ctx.request().path())) {
      ctx.fail(new ApiException(ErrorCode.INVALID_REQUEST, "path: '.', '..' and empty segments are not allowed"));
      return;
    }
    ctx.next();
  }

  static boolean unsafe(String path) {
    if (path == null || path.indexOf('.') < 0 && path.indexOf('%') < 0 && !path.contains("//")) {
      return false;
    }
    int start = path.startsWith("/") ? 1 : 0;
    for (int end = start; end <= path.length(); end++) {
      if (end == path.length() || path.charAt(end) == '/') {
        boolean last = end == path.length();
        if (end == start ? !last : isDots(path.substring(start, end))) {
          return true; // an empty segment is allowed only as the trailing slash
        }
        start = end + 1;
      }
    }
    return false;
  }

  private static boolean isDots(String segment) {
    String decoded = segment.replace("%2e", ".").replace("%2E", ".");
    return decoded.equals(".") || decoded.equals("..");
  }
}
