package dev.portcullis.bench;

import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;

/**
 * The ceiling for {@code /auth/me}: one Vert.x HTTP verticle per core that answers {@code GET /me} with a JSON
 * body shaped like the gateway's answer, encoded on every request. No routing library, no token check, no
 * metrics: what Vert.x itself costs on this machine. Stops by itself after {@code --max-seconds}.
 */
final class BareJsonServer extends VerticleBase {

  private static final String CREATED = "2026-01-01T00:00:00Z";

  private final int port;
  private HttpServer server;

  BareJsonServer(int port) {
    this.port = port;
  }

  static void main(Args args) {
    int port = args.integer("port", 18070);
    int instances = args.integer("instances", Runtime.getRuntime().availableProcessors());
    serve("bare JSON server", () -> new BareJsonServer(port), port, instances, args.integer("max-seconds", 300));
  }

  /**
   * Deploys {@code instances} of a bare server on 127.0.0.1:{@code port} in a Vert.x of its own, and ends the process
   * after {@code maxSeconds} (or at once when the deployment fails).
   */
  static void serve(String name, Supplier<Deployable> server, int port, int instances, int maxSeconds) {
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(server, new DeploymentOptions().setInstances(instances))
        .onSuccess(id -> System.out.println(name + " on 127.0.0.1:" + port + " (" + instances + " verticles)"))
        .onFailure(failure -> {
          System.err.println(name + " did not start: " + failure);
          System.exit(1);
        });
    vertx.setTimer(maxSeconds * 1000L, id -> vertx.close().onComplete(done -> System.exit(0)));
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer().requestHandler(this::handle);
    return server.listen(port, "127.0.0.1");
  }

  private void handle(HttpServerRequest request) {
    if ("/ready".equals(request.path())) {
      request.response().end("ready");
      return;
    }
    String authorization = request.getHeader("Authorization");
    if (!"/me".equals(request.path()) || authorization == null) {
      request.response().setStatusCode(404).end();
      return;
    }
    JsonObject body = new JsonObject()
        .put("user", new JsonObject()
            .put("id", "0b9f6f44-3c1a-4f0e-8a77-5d2e1c0b9a88")
            .put("email", "user@bench.test")
            .putNull("phone")
            .put("created_at", CREATED))
        .put("session", new JsonObject()
            .put("id", "6a1d2c3e-9b8f-4e7d-a6c5-b4a392817065")
            .put("created_at", CREATED)
            .put("expires_at", "2026-02-01T00:00:00Z"))
        .put("app_id", "1c2d3e4f-5a6b-7c8d-9e0f-a1b2c3d4e5f6");
    request.response()
        .putHeader("Content-Type", "application/json")
        .end(body.toBuffer());
  }
}
