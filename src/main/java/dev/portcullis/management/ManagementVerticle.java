package dev.portcullis.management;

import dev.portcullis.audit.ExportSigningKey;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import dev.portcullis.http.BodyFraming;
import dev.portcullis.http.ErrorResponder;
import dev.portcullis.http.InvalidRequests;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.RouteTemplates;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.Set;

/** The management port: liveness, readiness (with the state of Postgres and Redis), Prometheus metrics. */
public final class ManagementVerticle extends VerticleBase {

  private static final String LIFECYCLE = "portcullis.lifecycle";
  private static final String STOPPING = "stopping";
  private static final String STARTED = "started";

  private HttpServer server;
  private Postgres pg;
  private RedisStore redis;
  private BackendProbe probe;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config);
    redis = RedisStore.create(vertx, config);
    MeterRegistry registry = Metrics.registry(vertx);
    probe = new BackendProbe(pg, redis, registry);
    Router router = Router.router(vertx);
    BodyFraming.closeAfterChunked(router);
    // The public port's conventions here too: a request id on every answer, errors in the JSON contract.
    router.route().handler(RequestIds::handle);
    router.route().failureHandler(RequestIds::handleFailure);
    router.get("/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "up")));
    router.get("/health/ready").handler(this::ready);
    // The public half of the key that signs exported audit months (README, Audit log: Retention).
    if (config.optional(GatewayConfig.MASTER_KEY) != null) {
      JsonObject exportKey = ExportSigningKey.published(config.masterKey());
      router.get("/audit/export-key").handler(ctx -> json(ctx, 200, exportKey));
    }
    if (registry instanceof PrometheusMeterRegistry prometheus) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(prometheus));
    }
    RouteTemplates.headWithGet(router, Set.of());
    router.route().failureHandler(ErrorResponder::handle);
    router.errorHandler(400, ErrorResponder.forStatus(400));
    router.errorHandler(404, ErrorResponder.forStatus(404));
    router.errorHandler(405, ErrorResponder.methodNotAllowed(new RouteTemplates(router)));
    BodyFraming framing = new BodyFraming();
    server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
        .invalidRequestHandler(framing.guardInvalid(InvalidRequests::answer))
        .requestHandler(framing.guard(router));
    // The stores are probed once the port is ours: a probe under way when the listen failed had its Redis
    // connection cut by the failed deployment, logged as an error beside the one reason the start stopped (h104).
    return server.listen(config.managementPort())
        .onSuccess(listening -> {
          probe.check();
          vertx.setPeriodic(BackendProbe.INTERVAL_MS, id -> probe.check());
        })
        .recover(failure -> Future.failedFuture(
            GatewayConfig.listenFailure(GatewayConfig.MANAGEMENT_PORT, config.managementPort(), failure)));
  }

  @Override
  public Future<?> stop() {
    return server.close().eventually(() -> Future.join(pg.close(), redis.close()));
  }

  /**
   * Ready once the gateway has started ({@link #started}: this verticle is up first, through the migration) until
   * SIGTERM ({@link #stopping}). Postgres and Redis are shared by every pod, so their outage does not take a pod
   * out of the Service: the body says which is down, and the routes that need it answer 503 unavailable themselves.
   */
  private void ready(RoutingContext ctx) {
    if (lifecycle(vertx).get(STOPPING) != null) {
      // No new probe while draining: the stores' clients are closing with the verticles that share them.
      json(ctx, 503, new JsonObject().put("status", "stopping").put("checks", probe.last()));
      return;
    }
    boolean started = lifecycle(vertx).get(STARTED) != null;
    probe.check().onSuccess(checks -> json(ctx, started ? 200 : 503,
        new JsonObject().put("status", started ? "up" : "starting").put("checks", checks)));
  }

  /** From now on readiness answers 200: every verticle is up and the public port listens. */
  public static void started(Vertx vertx) {
    lifecycle(vertx).put(STARTED, true);
  }

  /** From now on readiness answers 503 (SIGTERM: the pod drains, and should get no new traffic). */
  public static void stopping(Vertx vertx) {
    lifecycle(vertx).put(STOPPING, true);
  }

  private static LocalMap<String, Boolean> lifecycle(Vertx vertx) {
    return vertx.sharedData().getLocalMap(LIFECYCLE);
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toBuffer());
  }
}
