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
 * connection closed since its body is left unread; the same type without a body passes as no body. A body must
 * arrive whole within {@link #DEADLINE_MS} of its request: a request counts against admission control from its
 * headers on, and a byte now and then kept a connection from ever being idle, so a few trickling clients held every
 * place of an event loop for as long as they liked (h55). One that does not is {@code 400}, its connection closed.
 */
public final class RequestBodies implements Handler<RoutingContext> {

  /** 64 KiB in 10 s is 6.4 KB/s: any client that means to send its body does. */
  static final long DEADLINE_MS = 10_000;
  private static final Set<HttpMethod> WITH_BODY = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH,
      HttpMethod.DELETE);

  private final BodyHandler body;

  public RequestBodies(long limitBytes) {
    this.body = BodyHandler.create(false).setBodyLimit(limitBytes).setMergeFormAttributes(false);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (WITH_BODY.contains(ctx.request().method()) || !isForm(ctx.request().getHeader("Content-Type"))) {
      // Only where a body is declared: a timer for every GET would cost the hottest routes a few percent.
      if (declaresBody(ctx) && !ctx.request().isEnded()) {
        long deadline = ctx.vertx().setTimer(DEADLINE_MS, fired -> late(ctx));
        ctx.addEndHandler(done -> ctx.vertx().cancelTimer(deadline));
      }
      body.handle(ctx);
      return;
    }
    if (!declaresBody(ctx)) {
      ctx.next();
      return;
    }
    closeAfterAnswer(ctx);
    ctx.fail(new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        "a " + ctx.request().method() + " request takes no form body"));
  }

  /** The body is still arriving at the deadline: refused, and its connection closed, the rest of it unread. */
  private static void late(RoutingContext ctx) {
    if (ctx.request().isEnded() || ctx.response().headWritten()) {
      return;
    }
    closeAfterAnswer(ctx);
    ctx.fail(new ApiException(ErrorCode.INVALID_REQUEST,
        "the request body did not arrive within " + DEADLINE_MS / 1000 + " s"));
  }

  private static void closeAfterAnswer(RoutingContext ctx) {
    if (ctx.request().version() != HttpVersion.HTTP_2) {
      ctx.response().putHeader("Connection", "close");
      ctx.addEndHandler(ended -> ctx.request().connection().close());
    }
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
