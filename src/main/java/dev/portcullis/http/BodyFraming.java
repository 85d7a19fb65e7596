package dev.portcullis.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Request smuggling hygiene (RFC 9112 §6.1, §6.3), in front of the router: a request whose body length is in
 * doubt is answered {@code 400 invalid_request} before its body is read, and its connection closed. That is a
 * {@code Transfer-Encoding} other than exactly {@code chunked} (the decoder ignores one it does not know, such as
 * {@code xchunked}, reads no body and would parse the body's bytes as the next request; it reads {@code gzip,
 * chunked} as chunked but nothing here decodes gzip), and a {@code Transfer-Encoding} in an HTTP/1.0 request.
 * Requests the decoder already read after such a one on the same connection (pipelined, or hidden in the body)
 * are never answered: the connection closes once the refusal is written.
 *
 * <p>A chunked request is answered, but its connection serves no other: it may also have carried a
 * {@code Content-Length}, which the decoder drops without a trace, so a proxy in front that read that length
 * instead would take the chunked body's tail for a request of its own (RFC 9112 §6.1: close after such a request).
 * Its answer says {@code Connection: close}, and a request read after it on the connection closes it unanswered.
 *
 * <p>One instance per HTTP verticle: its connections are all served on that verticle's event loop.
 */
public final class BodyFraming {

  private static final String CLOSING_KEY = "close_after_chunked";

  private final Set<HttpConnection> refused = Collections.newSetFromMap(new WeakHashMap<>());

  /** The server's request handler: the requests with a sound framing go on to {@code next}. */
  public Handler<HttpServerRequest> guard(Handler<HttpServerRequest> next) {
    return request -> {
      if (refused.contains(request.connection())) {
        // read from a connection whose framing was refused, or after a chunked request: never answered
        request.connection().close();
        return;
      }
      String problem = problem(request);
      if (problem == null) {
        if (chunked(request)) {
          refused.add(request.connection());
          request.response().putHeader("Connection", "close");
        }
        next.handle(request);
        return;
      }
      refused.add(request.connection());
      InvalidRequests.refuse(request, 400, problem);
    };
  }

  /**
   * Installs, as the router's first route, the close of a chunked HTTP/1.1 request's connection once its answer is
   * written, as that answer's {@code Connection: close} says (Vert.x keeps a connection open whatever the answer's
   * headers say). As a failure handler too: the router refuses some requests (no Host header) before any handler.
   */
  public static void closeAfterChunked(Router router) {
    router.route()
        .handler(BodyFraming::closeAfterChunked)
        .failureHandler(BodyFraming::closeAfterChunked);
  }

  private static void closeAfterChunked(RoutingContext ctx) {
    if (chunked(ctx.request()) && ctx.get(CLOSING_KEY) == null) {
      ctx.put(CLOSING_KEY, true);
      // Only once written: a broken chunk fails the response first, and its refusal still has to be written.
      ctx.addEndHandler(ended -> {
        if (ended.succeeded()) {
          ctx.request().connection().close();
        }
      });
    }
    ctx.next();
  }

  private static boolean chunked(HttpServerRequest request) {
    return request.version() == HttpVersion.HTTP_1_1 && request.headers().contains("Transfer-Encoding");
  }

  /** The server's handler of requests the decoder refused, which also stay unanswered on a refused connection. */
  public Handler<HttpServerRequest> guardInvalid(Handler<HttpServerRequest> next) {
    return request -> {
      if (!refused.contains(request.connection())) {
        next.handle(request);
      }
    };
  }

  static String problem(HttpServerRequest request) {
    List<String> codings = request.headers().getAll("Transfer-Encoding");
    if (codings.isEmpty()) {
      return null;
    }
    if (request.version() == HttpVersion.HTTP_1_0) {
      return "malformed request: Transfer-Encoding is not allowed in HTTP/1.0";
    }
    if (codings.size() != 1 || !codings.get(0).trim().equalsIgnoreCase("chunked")) {
      return "malformed request: the only Transfer-Encoding accepted is chunked";
    }
    if (request.headers().contains("Content-Length")) {
      return "malformed request: Transfer-Encoding and Content-Length must not both be given";
    }
    return null;
  }
}
