package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import dev.portcullis.core.RequestContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place that turns a failure into the JSON error contract. Every 5xx is logged once, with the request id. */
public final class ErrorResponder {

  private static final Logger LOG = LoggerFactory.getLogger(ErrorResponder.class);
  /** Routing-context key: the media type an API answers its errors in, where not application/json. */
  public static final String MEDIA_TYPE = "portcullis.errors.media-type";

  private ErrorResponder() {
  }

  public static void handle(RoutingContext ctx) {
    Throwable cause = ctx.failure();
    if (cause instanceof HttpClosedException) {
      // The connection closed before the request was whole (the client left, or a drain ended): nobody to answer.
      LOG.debug("request {} {} {} ended with its connection", RequestIds.of(ctx), ctx.request().method(),
          ctx.request().path());
      return;
    }
    if (!malformedForm(cause) && !tooManyFormFields(cause) && brokenFraming(cause)) {
      // The body's framing could not be read (a malformed chunk): the connection's bytes can no longer be split into
      // requests, so it closes after this answer. Closed at once, which flushes the answer first: the decoder closes it
      // right after this handler returns, dropping anything not yet flushed.
      LOG.debug("request {} {} {}: body framing refused: {}", RequestIds.of(ctx), ctx.request().method(),
          ctx.request().path(), cause.toString());
      ctx.response().putHeader("Connection", "close");
      send(ctx, new ApiException(ErrorCode.INVALID_REQUEST, "malformed request body: its chunked framing could not be read"));
      ctx.request().connection().close();
      return;
    }
    answer(ctx, classify(cause, ctx.statusCode()), cause);
  }

  /**
   * For the router's error handlers, which run when routing itself fails: the status the router chose is the
   * answer, whatever exception made it choose (e.g. a 400 for a path with a malformed %-escape).
   */
  public static Handler<RoutingContext> forStatus(int status) {
    return ctx -> answer(ctx, fromStatus(status), ctx.failure());
  }

  /**
   * The router's 405 (a path it knows, another method), with the {@code Allow} header RFC 9110 requires: the
   * methods the path's routes take.
   */
  public static Handler<RoutingContext> methodNotAllowed(RouteTemplates routes) {
    return ctx -> {
      String allowed = routes.allowed(ctx.normalizedPath());
      if (!allowed.isEmpty()) {
        ctx.response().putHeader("Allow", allowed);
      }
      answer(ctx, fromStatus(405), ctx.failure());
    };
  }

  /** The request's failure as the error contract names it (a malformed form body is 400, say, not a bug). */
  public static ApiException failureOf(RoutingContext ctx) {
    return classify(ctx.failure(), ctx.statusCode());
  }

  private static ApiException classify(Throwable cause, int status) {
    if (cause instanceof ApiException api) {
      return api;
    }
    if (cause instanceof HttpException http) {
      // Vert.x Web's own refusals, such as a query string with a malformed %-escape.
      return fromStatus(http.getStatusCode());
    }
    if (tooManyFormFields(cause)) {
      return new ApiException(ErrorCode.INVALID_REQUEST, "form body: too many fields, or a field too long");
    }
    if (malformedForm(cause)) {
      return new ApiException(ErrorCode.INVALID_REQUEST, "malformed form body: check its %-escapes and its multipart "
          + "boundary");
    }
    if (status >= 400 && status < 500) {
      // Vert.x's refusal of the request itself, with the status it chose: a missing Host header (400), an Expect
      // other than 100-continue (417). The exception only says why.
      return fromStatus(status);
    }
    return cause != null ? Failures.toApi(cause) : fromStatus(status);
  }

  /**
   * Netty's HTTP decoder refusing the body's framing (a chunk size that is not hex or overflows, a chunk extension
   * it will not read), as it reaches the body handler: the decoder's own exception, or one thrown in its frames.
   */
  private static boolean brokenFraming(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof DecoderException) {
        return true;
      }
      for (StackTraceElement frame : t.getStackTrace()) {
        if (frame.getClassName().startsWith("io.netty.handler.codec.http.HttpObjectDecoder")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Netty's form decoder refusing the body (a bad %-escape in a form post): the client's mistake, not ours. A bad
   * escape in a value comes wrapped; one in a field's name comes as the bare IllegalArgumentException of the
   * decoder's own frames, and an empty or unterminated multipart boundary as the index error of its header parsing
   * (h55: a 500 on every body route).
   */
  private static boolean malformedForm(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof HttpPostRequestDecoder.ErrorDataDecoderException
          || (t instanceof IllegalArgumentException || t instanceof IndexOutOfBoundsException) && fromFormDecoder(t)) {
        return true;
      }
    }
    return false;
  }

  /** Netty's form decoder over its limits: a decoder exception, but of a body whose framing was sound. */
  private static boolean tooManyFormFields(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof HttpPostRequestDecoder.TooManyFormFieldsException
          || t instanceof HttpPostRequestDecoder.TooLongFormFieldException) {
        return true;
      }
    }
    return false;
  }

  private static boolean fromFormDecoder(Throwable failure) {
    for (StackTraceElement frame : failure.getStackTrace()) {
      if (frame.getClassName().startsWith("io.netty.handler.codec.http.multipart.")) {
        return true;
      }
    }
    return false;
  }

  private static void answer(RoutingContext ctx, ApiException failure, Throwable cause) {
    int status = failure.code().status();
    if (status >= 500 && !failure.logged()) {
      // A failure can arrive on another context than the request's (a client's reply): its line carries this id.
      RequestContext.bind(RequestIds.of(ctx));
      if (Failures.isInternal(failure)) {
        LOG.error("request {} {} {} failed", RequestIds.of(ctx), ctx.request().method(), ctx.request().path(), cause);
      } else if (ctx.response().closed()) {
        // The client left, or the shutdown's drain closed the connection: nothing is sent (h104).
        LOG.warn("request {} {} {} not answered, its connection closed first (it would have been {}: {})",
            RequestIds.of(ctx), ctx.request().method(), ctx.request().path(), status, failure.getMessage());
      } else {
        LOG.warn("request {} {} {} answered {}: {}", RequestIds.of(ctx), ctx.request().method(),
            ctx.request().path(), status, failure.getMessage());
      }
    }
    send(ctx, failure);
  }

  public static void send(RoutingContext ctx, ApiException failure) {
    HttpServerResponse response = ctx.response();
    if (response.closed()) {
      return;
    }
    if (response.headWritten()) {
      response.reset();
      return;
    }
    response.setStatusCode(failure.code().status());
    String mediaType = ctx.get(MEDIA_TYPE);
    response.putHeader("Content-Type", mediaType == null ? "application/json" : mediaType);
    response.putHeader("Cache-Control", "no-store");
    if (failure.retryAfter() >= 0) {
      response.putHeader("Retry-After", Long.toString(failure.retryAfter()));
    }
    String authorization = ctx.request().getHeader("Authorization");
    boolean bearer = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7);
    String challenge = challenge(failure.code(), bearer);
    if (challenge != null && response.headers().get("WWW-Authenticate") == null) {
      response.putHeader("WWW-Authenticate", challenge);
    }
    io.vertx.core.json.JsonObject body = failure.toJson();
    String path = ctx.request().path();
    if (path != null && path.startsWith("/oidc/")) {
      // OAuth clients read error_description (RFC 6749 §5.2), also of a failure before the endpoint's own handler
      body.put("error_description", failure.getMessage());
    }
    response.end(body.toBuffer());
  }

  /**
   * The {@code WWW-Authenticate} of a 401 that is about HTTP authentication (RFC 9110 §11.6.1 wants one on every
   * such answer): client credentials are HTTP Basic (or the body's), access tokens and admin keys Bearer (RFC 6750).
   * The other 401s (a wrong code, password or licence key) are about the request's content, and name no scheme.
   * A request that presented no bearer token (none at all, or another scheme) gets no error code in its Bearer
   * challenge (RFC 6750 §3.1).
   */
  private static String challenge(ErrorCode code, boolean presented) {
    return switch (code) {
      case INVALID_CLIENT -> "Basic realm=\"portcullis\", charset=\"UTF-8\"";
      case INVALID_TOKEN, SESSION_REVOKED -> presented
          ? "Bearer realm=\"portcullis\", error=\"invalid_token\""
          : "Bearer realm=\"portcullis\"";
      default -> null;
    };
  }

  private static ApiException fromStatus(int status) {
    return switch (status) {
      case 400 -> new ApiException(ErrorCode.INVALID_REQUEST, "malformed request: check the path, query string and body");
      case 404 -> new ApiException(ErrorCode.NOT_FOUND, "no such resource");
      case 405 -> new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "method not allowed on this path");
      case 413 -> new ApiException(ErrorCode.PAYLOAD_TOO_LARGE, "request body is larger than 64 KiB");
      case 415 -> new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Content-Type must be application/json (or a +json type)");
      case 417 -> new ApiException(ErrorCode.INVALID_REQUEST, "Expect: only 100-continue is supported");
      // Any other refusal of the request by Vert.x (406, 408, 411, 414, 431, ...): the contract has no code of its
      // own for it, and it is the client's, never a 500.
      default -> status >= 400 && status < 500
          ? new ApiException(ErrorCode.INVALID_REQUEST, "malformed request: check the path, headers and body")
          : new ApiException(ErrorCode.INTERNAL_ERROR, "internal error");
    };
  }
}
