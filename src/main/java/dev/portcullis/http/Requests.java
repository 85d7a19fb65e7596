package dev.portcullis.http;

import io.vertx.ext.web.RoutingContext;

/** Who a request is from, as services log and audit it. */
public final class Requests {

  private Requests() {
  }

  /** The end user's IP as the client backend reported it ({@code client_ip} in the body, validated), or null. */
  public static String clientIp(RoutingContext ctx) {
    return Fields.clientIp(JsonBody.of(ctx));
  }

  /** The IP of the connection itself: for callers that speak for themselves (operators, owners, failed clients). */
  public static String callerIp(RoutingContext ctx) {
    var address = ctx.request().remoteAddress();
    return address == null ? null : address.hostAddress();
  }
}
