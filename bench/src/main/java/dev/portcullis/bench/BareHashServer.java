package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.util.concurrent.TimeUnit;

/**
 * The floor under password logins: what any HTTP service that checks a password costs on this machine, with nothing
 * of the gateway's. One Vert.x HTTP verticle per core; {@code POST /auth/challenge} answers a fixed token, and
 * {@code POST /auth/login} checks the body's password against one PHC string with the gateway's Argon2id class on a
 * worker pool of one thread per core, then answers a fixed token pair. No routing library, no store, no signature,
 * no audit, no metrics. The bench's own client drives it as it drives the gateway, so logins here against raw checks
 * (in paired windows) is the most an HTTP front can keep of Argon2id's ceiling here, whatever stands behind it.
 * With {@code --redis-calls N} and {@code --pg-statements M}, each login first makes N Redis round trips
 * ({@code INCR}) and M Postgres ones ({@code SELECT $1}), one after the other: the gateway's kinds of wake-ups
 * (it makes four Redis calls and two Postgres statements a login) without its work, to tell what they cost.
 */
final class BareHashServer extends VerticleBase {

  static final String POOL = "bare-hashing";

  /** What each login does before its hash: round trips to Redis and to Postgres, one after the other. */
  record Stores(int redisCalls, String redisUrl, int pgStatements, String pgUrl) {
  }

  private final int port;
  private final String phc;
  private final GatewayArgon2 argon2;
  private final Stores stores;
  private WorkerExecutor hashing;
  private HttpServer server;
  private Redis redis;
  private Pool pg;

  BareHashServer(int port, String phc, GatewayArgon2 argon2, Stores stores) {
    this.port = port;
    this.phc = phc;
    this.argon2 = argon2;
    this.stores = stores;
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
    Stores stores = new Stores(args.integer("redis-calls", 0), args.string("redis-url", "redis://127.0.0.1:6379"),
        args.integer("pg-statements", 0), args.string("pg-url", "postgresql://postgres@127.0.0.1:5432/postgres"));
    BareJsonServer.serve("bare hash server", () -> new BareHashServer(port, phc, argon2, stores), port, instances,
        args.integer("max-seconds", 600));
  }

  @Override
  public Future<?> start() {
    hashing = vertx.createSharedWorkerExecutor(POOL, Runtime.getRuntime().availableProcessors(), 30, TimeUnit.SECONDS);
    if (stores.redisCalls() > 0) {
      redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(stores.redisUrl()).setMaxPoolSize(8));
    }
    if (stores.pgStatements() > 0) {
      pg = PgBuilder.pool().with(new PoolOptions().setMaxSize(4)).connectingTo(PgConnectOptions.fromUri(stores.pgUrl()))
          .using(vertx).build();
    }
    server = vertx.createHttpServer().requestHandler(this::handle);
    return server.listen(port, "127.0.0.1");
  }

  private void handle(HttpServerRequest request) {
    switch (request.path()) {
      case "/ready" -> request.response().end("ready");
      case "/auth/challenge" -> request.body().onSuccess(body -> json(request, new JsonObject()
          .put("challenge_token", "bare").put("difficulty", 0)));
      case "/auth/login" -> request.body().onSuccess(body -> {
        JsonObject login = body.toJsonObject();
        String password = login.getString("password", "");
        stores(login.getString("email", ""), stores.redisCalls(), stores.pgStatements())
            .compose(v -> hashing.executeBlocking(() -> argon2.verify(password, phc), false)).onComplete(checked -> {
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

  /** {@code redisCalls} Redis round trips, then {@code pgStatements} Postgres ones, each after the last. */
  private Future<Void> stores(String email, int redisCalls, int pgStatements) {
    if (redisCalls > 0) {
      return redis.send(Request.cmd(Command.INCR).arg("bench:floor:" + email))
          .compose(v -> stores(email, redisCalls - 1, pgStatements));
    }
    if (pgStatements > 0) {
      return pg.preparedQuery("SELECT $1::text").execute(Tuple.of(email))
          .compose(v -> stores(email, 0, pgStatements - 1));
    }
    return Future.succeededFuture();
  }

  private static void json(HttpServerRequest request, JsonObject body) {
    request.response().putHeader("Content-Type", "application/json").end(body.toBuffer());
  }
}
