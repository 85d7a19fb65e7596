package dev.portcullis.http;

import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;

/** Gives every request an id: the caller's {@code X-Request-Id} when it is sane, else a new UUID. */
public final class RequestIds {

  public static final String HEADER = "X-Request-Id";
  private static final String KEY = "request_id";
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:/+=-]{1,128}");

  private RequestIds() {
  }

  public static void handle(RoutingContext ctx) {
    String given = ctx.request().getHeader(HEADER);
    String id = given != null && SANE.matcher(given).matches() ? given : UUID.randomUUID().toString();
    ctx.put(KEY, id);
    ctx.response().putHeader(HEADER, id);
    ctx.next();
  }

  public static String of(RoutingContext ctx) {
    String id = ctx.get(KEY);
    return id == null ? "-" : id;
  }
}
