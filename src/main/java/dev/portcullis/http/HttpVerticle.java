package dev.portcullis.http;

import dev.portcullis.app.AppApi;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.AppRepository;
import dev.portcullis.audit.AuditApi;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.otp.OtpApi;
import dev.portcullis.owner.OwnerApi;
import dev.portcullis.token.TokenApi;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.concurrent.TimeUnit;

/** The public API: one instance per event loop, all on the same port. */
public final class HttpVerticle extends VerticleBase {

  public static final int BODY_LIMIT_BYTES = 64 * 1024;
  private static final long DRAIN_SECONDS = 20;

  private HttpServer server;
  private Postgres pg;
  private RedisStore redis;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config);
    redis = RedisStore.create(vertx, config);
    MasterKey masterKey = MasterKey.from(config);
    AppRepository apps = new AppRepository(pg);
    Bus bus = new Bus(vertx);
    ApiContext api = new ApiContext(vertx, config, pg, redis, bus, new AuditLog(bus), masterKey, apps,
        new AppDirectory(apps, masterKey), Metrics.registry(vertx));
    AdminAuth adminAuth = new AdminAuth(config.adminKey(), bus);

    Router router = Router.router(vertx);
    router.route().handler(RequestIds::handle);
    router.route().handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT_BYTES));
    router.route().handler(JsonBody::handle);
    ClientAuth clientAuth = new ClientAuth(api);
    new OtpApi(api, clientAuth).mount(router);
    new TokenApi(api, clientAuth).mount(router);
    new OwnerApi(api, adminAuth).mount(router);
    new AppApi(api, adminAuth).mount(router);
    new AuditApi(api, adminAuth).mount(router);
    router.route().failureHandler(ErrorResponder::handle);
    router.errorHandler(400, ErrorResponder.forStatus(400));
    router.errorHandler(404, ErrorResponder.forStatus(404));
    router.errorHandler(405, ErrorResponder.forStatus(405));

    server = vertx.createHttpServer(new HttpServerOptions()
            .setPort(config.httpPort())
            .setIdleTimeout(60)
            .setIdleTimeoutUnit(TimeUnit.SECONDS))
        .requestHandler(router);
    return server.listen();
  }

  @Override
  public Future<?> stop() {
    // Graceful: stop accepting, let in-flight requests finish, then close the clients they used.
    Future<Void> drained = server == null ? Future.succeededFuture() : server.shutdown(DRAIN_SECONDS, TimeUnit.SECONDS);
    return drained.eventually(() -> Future.join(pg.close(), redis.close()));
  }
}
