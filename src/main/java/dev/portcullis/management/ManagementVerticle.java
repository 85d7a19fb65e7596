package dev.portcullis.management;

import dev.portcullis.audit.ExportSigningKey;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.redis.client.Command;

/** The management port: liveness, readiness (Postgres and Redis), Prometheus metrics. */
public final class ManagementVerticle extends VerticleBase {

  private HttpServer server;
  private Postgres pg;
  private RedisStore redis;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config);
    redis = RedisStore.create(vertx, config);
    Router router = Router.router(vertx);
    router.get("/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "up")));
    router.get("/health/ready").handler(this::ready);
    // The public half of the key that signs exported audit months (README, Audit log: Retention).
    if (config.optional(GatewayConfig.MASTER_KEY) != null) {
      JsonObject exportKey = ExportSigningKey.published(config.masterKey());
      router.get("/audit/export-key").handler(ctx -> json(ctx, 200, exportKey));
    }
    MeterRegistry registry = Metrics.registry(vertx);
    if (registry instanceof PrometheusMeterRegistry prometheus) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(prometheus));
    }
    server = vertx.createHttpServer().requestHandler(router);
    return server.listen(config.managementPort());
  }

  @Override
  public Future<?> stop() {
    return server.close().eventually(() -> Future.join(pg.close(), redis.close()));
  }

  /**
   * 200 once started and until SIGTERM (the management server closes first on stop), whatever Postgres and
   * Redis do: they are shared by every pod, so their outage must not empty the Service (the JWKS and health keep
   * answering); the routes that need a missing store answer {@code 503 unavailable} themselves. The body lists
   * each dependency, for dashboards and people.
   */
  private void ready(RoutingContext ctx) {
    Future<String> postgres = pg.run(pool -> pool.query("SELECT 1").execute()).map("up").otherwise("down");
    Future<String> redisCheck = redis.send(Command.PING).map("up").otherwise("down");
    Future.join(postgres, redisCheck).onComplete(done -> {
      JsonObject checks = new JsonObject().put("postgres", postgres.result()).put("redis", redisCheck.result());
      boolean all = "up".equals(postgres.result()) && "up".equals(redisCheck.result());
      json(ctx, 200, new JsonObject().put("status", all ? "up" : "degraded").put("checks", checks));
    });
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toBuffer());
  }
}
