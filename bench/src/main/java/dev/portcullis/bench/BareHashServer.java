package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;

/**
 * The floor under password logins: what any HTTP service that checks a password costs on this machine, with nothing
 * of the gateway's. One Vert.x HTTP verticle per core; {@code POST /auth/challenge} answers a fixed token, and
 * {@code POST /auth/login} checks the body's password against one PHC string with the gateway's Argon2id class on a
 * worker pool of one thread per core, then answers a fixed token pair. No routing library, no store, no signature,
 * no audit, no metrics. The bench's own client drives it as it drives the gateway, so logins here against raw checks
 * (in paired windows) is the most an HTTP front can keep of Argon2id's ceiling here, whatever stands behind it.
 */
final class BareHashServer extends VerticleBase {

  static final String POOL = "bare-hashing";

  private final int port;
  private final String phc;
  private final GatewayArgon2 argon2;
  private WorkerExecutor hashing;
  private HttpServer server;

  BareHashServer(int port, String phc, GatewayArgon2 argon2) {
    this.port = port;
    this.phc = phc;
    this.argon2 = argon2;
  }

  static void main(Args args) throws Exception {
    int port = args.integer("port", 18071);
    int instances = args.integer("instances", Runtime.getRuntime().availableProcessors());
    GatewayArgon2 argon2 = GatewayArgon2.load();
    if (argon2 == null) {
      System.err.println("bare hash server: name the gateway's classes with -D" + GatewayArgon2.PROPERTY);
      System.exit(2);
    }
    String phc = argon2.hash(Portcullis.PASSWORD, 19_456, 2);
    BareJsonServer.serve("bare hash server", () -> new BareHashServer(port, phc, argon2), port, instances,
        args.integer("max-seconds", 600));
  }

  @Override
  public Future<?> start() {
    hashing = vertx.createSharedWorkerExecutor(POOL, Runtime.getRuntime().availableProcessors(), 30, TimeUnit.SECONDS);
    server = vertx.createHttpServer().requestHandler(this::handle);
    return server.listen(port, "127.0.0.1");
  }

  private void handle(HttpServerRequest request) {
    switch (request.path()) {
      case "/ready" -> request.response().end("ready");
      case "/auth/challenge" -> request.body().onSuccess(body -> json(request, new JsonObject()
          .put("challenge_token", "bare").put("difficulty", 0)));
      case "/auth/login" -> request.body().onSuccess(body -> {
        String password = body.toJsonObject().getString("password", "");
        hashing.executeBlocking(() -> argon2.verify(password, phc), false).onComplete(checked -> {
          if (checked.succeeded() && checked.result()) {
            json(request, new JsonObject().put("access_token", "bare.access.token").put("token_type", "Bearer")
                .put("expires_in", 900).put("refresh_token", "bare-refresh-token"));
          } else {
            request.response().setStatusCode(401).end();
          }
        });
      });
      default -> request.response().setStatusCode(404).end();
    }
  }

  private static void json(HttpServerRequest request, JsonObject body) {
    request.response().putHeader("Content-Type", "application/json").end(body.toBuffer());
  }
}
