package dev.portcullis.http;

import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.portcullis.core.RequestContext;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One access-log line per request, once it has answered: request id, method, route template (never the raw
 * path, which can carry ids), status, duration and the app when known. Logged by {@code portcullis.access}
 * with structured arguments, so JSON lines get one field each and text lines read {@code key=value}. A request
 * whose connection closed before any answer was sent (the client left, the idle timeout, a body whose framing
 * could not be read) is logged with status {@value #ABORTED}.
 */
public final class AccessLog implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger("portcullis.access");
  private static final String APP_KEY = "access_log_app_id";
  private static final String STARTED_KEY = "access_log_started";
  /** The status logged for a request its connection ended before it was answered. */
  public static final int ABORTED = 0;

  private final RouteTemplates routes;

  public AccessLog(RouteTemplates routes) {
    this.routes = routes;
  }

  @Override
  public void handle(RoutingContext ctx) {
    start(ctx);
    ctx.next();
  }

  /**
   * For a failure route: logs the requests the router refused before any handler ran (no {@code Host} header, a
   * path that does not start with "/"), which {@link #handle} never saw.
   */
  public void handleFailure(RoutingContext ctx) {
    if (ctx.get(STARTED_KEY) == null) {
      start(ctx);
    }
    ctx.next();
  }

  private void start(RoutingContext ctx) {
    long started = System.nanoTime();
    ctx.put(STARTED_KEY, started);
    ctx.addEndHandler(done -> {
      if (done.succeeded()) {
        log(ctx, started, ctx.response().getStatusCode());
      } else {
        // A failed end is the connection closing, or an error the decoder raised on it, which the failure handler
        // may still answer (a malformed chunk is a 400): judged once that handler has had its turn.
        ctx.vertx().runOnContext(later -> log(ctx, started, ctx.response().ended()
            ? ctx.response().getStatusCode()
            : ABORTED));
      }
    });
  }

  /**
   * The id goes to the line's MDC (one {@code request_id} field in JSON lines) and, as plain text, to its message:
   * bound here because the response may end on another context than the request's (after a client's reply).
   */
  private void log(RoutingContext ctx, long started, int status) {
    line(RequestIds.of(ctx), ctx.request().method().name(), route(ctx), status,
        (System.nanoTime() - started) / 1_000_000, appId(ctx));
  }

  /** The request's route template; "unmatched" also for a path the router cannot normalise (a malformed %-escape). */
  private String route(RoutingContext ctx) {
    String path;
    try {
      path = ctx.normalizedPath();
    } catch (IllegalArgumentException malformed) {
      return "unmatched";
    }
    return routes.template(ctx.request().method(), path);
  }

  /** The access line of one request, its id bound for the line's MDC as well. */
  static void line(String requestId, String method, String route, int status, long durationMs, String appId) {
    RequestContext.bind(requestId);
    LOG.info("request_id={} {} {} {} {} {}", requestId, kv("method", method), kv("route", route),
        kv("status", status), kv("duration_ms", durationMs), kv("app_id", appId));
  }

  /** The app a request turned out to be for, where neither client credentials nor the path name it. */
  public static void app(RoutingContext ctx, UUID appId) {
    ctx.put(APP_KEY, appId);
  }

  private static String appId(RoutingContext ctx) {
    UUID client = ClientAuth.appId(ctx);
    if (client == null) {
      client = ctx.get(APP_KEY);
    }
    if (client != null) {
      return client.toString();
    }
    String param = ctx.pathParam("app_id");
    if (param == null || param.length() != 36) {
      return null;
    }
    try {
      return UUID.fromString(param).toString();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
