package dev.portcullis.http;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Successful JSON answers. Auth responses are never cached. */
public final class Responses {

  private Responses() {
  }

  public static void json(RoutingContext ctx, int status, JsonObject body) {
    encoded(ctx, status, body.toBuffer());
  }

  /**
   * 200 with a public document caches may keep for {@code maxAgeSeconds} (a JWKS, an OpenID Connect discovery
   * document), readable by a page of any origin: it holds nothing a stranger may not see.
   */
  public static void cacheable(RoutingContext ctx, JsonObject body, int maxAgeSeconds) {
    ctx.response()
        .setStatusCode(200)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "public, max-age=" + maxAgeSeconds)
        .putHeader("Access-Control-Allow-Origin", "*")
        .end(body.toBuffer());
  }

  public static void ok(RoutingContext ctx, JsonObject body) {
    json(ctx, 200, body);
  }

  /** 200 with a JSON body encoded before (an answer kept for the calls of a few seconds). */
  public static void ok(RoutingContext ctx, Buffer encoded) {
    encoded(ctx, 200, encoded);
  }

  private static void encoded(RoutingContext ctx, int status, Buffer body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body);
  }

  /** 200 with the result, or the failure through the error contract. */
  public static void answer(RoutingContext ctx, Future<JsonObject> result) {
    result.onSuccess(body -> ok(ctx, body)).onFailure(ctx::fail);
  }
}
