package dev.portcullis.hosted;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The hosted pages' stylesheet and scripts (proof of work, send-once), read once from the classpath and served from memory. */
final class StaticAssets {

  private final Buffer stylesheet = load("hosted.css");
  private final Buffer powScript = load("pow.js");
  private final Buffer onceScript = load("once.js");

  void stylesheet(RoutingContext ctx) {
    serve(ctx, "text/css; charset=utf-8", stylesheet);
  }

  void powScript(RoutingContext ctx) {
    serve(ctx, "text/javascript; charset=utf-8", powScript);
  }

  void onceScript(RoutingContext ctx) {
    serve(ctx, "text/javascript; charset=utf-8", onceScript);
  }

  private static void serve(RoutingContext ctx, String type, Buffer body) {
    ctx.response()
        .putHeader("Content-Type", type)
        .putHeader("Cache-Control", "public, max-age=3600")
        .putHeader("X-Content-Type-Options", "nosniff")
        .end(body);
  }

  private static Buffer load(String name) {
    try (InputStream in = StaticAssets.class.getResourceAsStream("/hosted/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource hosted/" + name);
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
