package dev.portcullis.boot;

import dev.portcullis.app.AppAccess;
import dev.portcullis.app.AppApi;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.AppRepository;
import dev.portcullis.app.ClientAuthentication;
import dev.portcullis.audit.AuditApi;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditReader;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.http.ErrorResponder;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.otp.OtpApi;
import dev.portcullis.owner.ConsoleOwners;
import dev.portcullis.owner.OwnerApi;
import dev.portcullis.token.Introspection;
import dev.portcullis.token.SigningKeyStore;
import dev.portcullis.token.TokenApi;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.concurrent.TimeUnit;

/**
 * The public API: one instance per event loop, all on the same port. {@link #start()} builds this verticle's
 * clients, the guards and each capability's {@code *Api} from exactly what it uses, then the route table:
 * every public path with its method, guard and handler, top to bottom.
 */
public final class ApiVerticle extends VerticleBase {

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
    MeterRegistry metrics = Metrics.registry(vertx);
    Bus bus = new Bus(vertx);
    AuditLog audit = new AuditLog(bus);
    AppRepository apps = new AppRepository(pg);
    AppDirectory appDirectory = new AppDirectory(apps, masterKey);
    // This verticle's client-auth cache drops an app as soon as any verticle of the process changes it.
    appDirectory.listen(vertx);

    // Guards: the client backend's app_id + app_secret (401 invalid_client); the admin key or an owner's
    // access token (401 invalid_token), then for :app_id paths the app, when the caller may see it (else 404).
    ClientAuth client = new ClientAuth(new ClientAuthentication(appDirectory, audit, metrics));
    AdminAuth admin = new AdminAuth(config.adminKey(), new ConsoleOwners(bus));
    AppAccess appAccess = new AppAccess(apps);

    OtpApi otp = new OtpApi(bus);
    TokenApi tokens = new TokenApi(bus, Introspection.create(config, pg, redis), new SigningKeyStore(pg));
    OwnerApi owners = new OwnerApi(bus, audit, metrics);
    AppApi appAdmin = new AppApi(vertx, apps, masterKey, audit, config.issuer(), metrics);
    AuditApi auditLog = new AuditApi(apps, new AuditReader(pg));

    Router router = Router.router(vertx);
    router.route().handler(RequestIds::handle);
    router.route().handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT_BYTES));
    router.route().handler(JsonBody::handle);

    // End users, through their client backend
    router.post("/auth/send-otp").handler(client).handler(otp::send);
    router.post("/auth/verify-otp").handler(client).handler(otp::verify);
    router.post("/auth/refresh").handler(client).handler(tokens::refresh);
    router.post("/auth/logout").handler(client).handler(tokens::logout);
    router.get("/auth/me").handler(tokens::me);
    router.get("/v1/apps/:app_id/jwks.json").handler(tokens::jwks);

    // Owners signing in to the console (no guard: the caller speaks for itself)
    router.post("/v1/owners/send-otp").handler(owners::sendOtp);
    router.post("/v1/owners/verify-otp").handler(owners::verifyOtp);
    router.post("/v1/owners/refresh").handler(owners::refresh);
    router.post("/v1/owners/logout").handler(owners::logout);

    // Admin API: the operator, or an owner for its own apps
    router.post("/v1/apps").handler(admin).handler(appAdmin::create);
    router.get("/v1/apps").handler(admin).handler(appAdmin::list);
    router.get("/v1/apps/:app_id").handler(admin).handler(appAccess).handler(appAdmin::get);
    router.patch("/v1/apps/:app_id").handler(admin).handler(appAccess).handler(appAdmin::update);
    router.delete("/v1/apps/:app_id").handler(admin).handler(appAccess).handler(appAdmin::delete);
    router.post("/v1/apps/:app_id/rotate-secret").handler(admin).handler(appAccess).handler(appAdmin::rotateSecret);
    router.post("/v1/apps/:app_id/rotate-signing-key").handler(admin).handler(appAccess)
        .handler(appAdmin::rotateSigningKey);
    router.get("/v1/apps/:app_id/audit").handler(admin).handler(auditLog::list);
    router.get("/v1/apps/:app_id/audit/verify").handler(admin).handler(auditLog::verify);

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
