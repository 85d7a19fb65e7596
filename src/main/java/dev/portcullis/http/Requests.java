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

  /**
   * The IP of the caller itself, for callers that speak for themselves (operators, owners, failed clients): the
   * TCP peer, or the address {@link TrustedProxies} found behind a trusted load balancer.
   */
  public static String callerIp(RoutingContext ctx) {
    String resolved = ctx.get(TrustedProxies.KEY);
    if (resolved != null) {
      return resolved;
    }
    var address = ctx.request().remoteAddress();
    return address == null ? null : address.hostAddress();
  }
}
