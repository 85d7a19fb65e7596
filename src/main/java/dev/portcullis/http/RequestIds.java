package dev.portcullis.http;

import dev.portcullis.core.RequestContext;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Gives every request an id: the caller's {@code X-Request-Id} when it is sane, else a new UUID. Its answer also
 * tells a browser not to guess its media type: an error naming a caller's field must stay JSON, whatever it holds.
 */
public final class RequestIds {

  public static final String HEADER = "X-Request-Id";
  private static final CharSequence NO_SNIFF_HEADER = HttpHeaders.createOptimized("X-Content-Type-Options");
  private static final CharSequence NO_SNIFF = HttpHeaders.createOptimized("nosniff");
  private static final String KEY = "request_id";
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:/+=-]{1,128}");

  private RequestIds() {
  }

  public static void handle(RoutingContext ctx) {
    assign(ctx);
    ctx.next();
  }

  /**
   * For a failure route: an id for the requests the router refused before any handler ran (no {@code Host}
   * header, a path that does not start with "/"), so that their answer carries one too.
   */
  public static void handleFailure(RoutingContext ctx) {
    if (ctx.get(KEY) == null) {
      assign(ctx);
    }
    ctx.next();
  }

  private static void assign(RoutingContext ctx) {
    String id = of(ctx.request());
    ctx.put(KEY, id);
    RequestContext.bind(id);
    headers(ctx.response(), id);
  }

  /** The headers every answer carries: its request id, and no media type guessed by a browser. */
  static void headers(io.vertx.core.http.HttpServerResponse response, String id) {
    response.putHeader(HEADER, id).putHeader(NO_SNIFF_HEADER, NO_SNIFF);
  }

  /**
   * A random version-4 UUID from the thread's own generator: a request id only has to be unique, not
   * unguessable, and {@link UUID#randomUUID()} would take the process-wide SecureRandom's lock on every request.
   */
  static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(high, low).toString();
  }

  /** The caller's id when it is sane, else a new one. */
  static String of(HttpServerRequest request) {
    String given = request.getHeader(HEADER);
    return given != null && SANE.matcher(given).matches() ? given : newId();
  }

  public static String of(RoutingContext ctx) {
    String id = ctx.get(KEY);
    return id == null ? "-" : id;
  }
}
