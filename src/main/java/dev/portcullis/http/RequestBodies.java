package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Locale;
import java.util.Set;

/**
 * Reads request bodies with Vert.x Web's body handler, with two rules of its own. It never merges form fields
 * into the request's parameters: that parses the query string inside the body's end handler, where a malformed
 * %-escape threw past the request, which then went unanswered until its connection's idle timeout, holding an
 * admission slot (the routes read {@code formAttributes()} anyway). And a form or multipart body on a method that
 * takes none (GET, HEAD, OPTIONS...), which the body handler fails as a server error, is {@code 415} here, its
 * connection closed since its body is left unread; the same type without a body passes as no body.
 */
public final class RequestBodies implements Handler<RoutingContext> {

  private static final Set<HttpMethod> WITH_BODY = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH,
      HttpMethod.DELETE);

  private final BodyHandler body;

  public RequestBodies(long limitBytes) {
    this.body = BodyHandler.create(false).setBodyLimit(limitBytes).setMergeFormAttributes(false);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (WITH_BODY.contains(ctx.request().method()) || !isForm(ctx.request().getHeader("Content-Type"))) {
      body.handle(ctx);
      return;
    }
    if (!declaresBody(ctx)) {
      ctx.next();
      return;
    }
    if (ctx.request().version() != HttpVersion.HTTP_2) {
      ctx.response().putHeader("Connection", "close");
      ctx.addEndHandler(ended -> ctx.request().connection().close());
    }
    ctx.fail(new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        "a " + ctx.request().method() + " request takes no form body"));
  }

  private static boolean isForm(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = contentType.toLowerCase(Locale.ROOT);
    return type.startsWith("multipart/form-data") || type.startsWith("application/x-www-form-urlencoded");
  }

  private static boolean declaresBody(RoutingContext ctx) {
    String length = ctx.request().getHeader("Content-Length");
    return ctx.request().headers().contains("Transfer-Encoding") || length != null && !length.trim().equals("0");
  }
}
