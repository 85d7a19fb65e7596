package dev.portcullis.http;

import dev.portcullis.core.Bus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Hands a validated request to a service over the event bus and answers with its reply. */
public final class Requests {

  private Requests() {
  }

  /** For client-authenticated routes: adds the app id, request id and client IP, then answers 200 with the reply. */
  public static void forward(Bus bus, RoutingContext ctx, String address, JsonObject message) {
    message.put("app_id", ClientAuth.appId(ctx).toString());
    bus.request(address, withRequest(ctx, message))
        .onSuccess(result -> Responses.ok(ctx, result))
        .onFailure(ctx::fail);
  }

  /** Adds the request id and the end user's IP, which services log and audit with. */
  public static JsonObject withRequest(RoutingContext ctx, JsonObject message) {
    return message
        .put("request_id", RequestIds.of(ctx))
        .put("client_ip", Fields.clientIp(JsonBody.of(ctx)));
  }

  /** The IP of the connection itself: for callers that speak for themselves (operators, owners, failed clients). */
  public static String callerIp(RoutingContext ctx) {
    var address = ctx.request().remoteAddress();
    return address == null ? null : address.hostAddress();
  }
}
