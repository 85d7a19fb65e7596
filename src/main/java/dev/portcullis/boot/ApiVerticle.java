package dev.portcullis.boot;

import dev.portcullis.app.AppAccess;
import dev.portcullis.app.AppApi;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.AppRepository;
import dev.portcullis.app.ClientAuthentication;
import dev.portcullis.app.AppIdGuard;
import dev.portcullis.app.ClientFailures;
import dev.portcullis.app.KnownApps;
import dev.portcullis.app.UnknownApps;
import dev.portcullis.audit.AuditApi;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditReader;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.conversation.ConversationApi;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import dev.portcullis.hosted.HostedApi;
import dev.portcullis.hosted.BusPasswords;
import dev.portcullis.hosted.FlowEngine;
import dev.portcullis.http.AccessLog;
import dev.portcullis.http.AdmissionControl;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.BodyFraming;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.http.ErrorResponder;
import dev.portcullis.http.InvalidRequests;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.NulCharacters;
import dev.portcullis.http.PathSegments;
import dev.portcullis.http.RepeatedQueryParameters;
import dev.portcullis.http.RequestBodies;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.RouteTemplates;
import dev.portcullis.http.SingleHeaders;
import dev.portcullis.http.TrustedProxies;
import dev.portcullis.license.LicenseApi;
import dev.portcullis.oidc.OidcApi;
import dev.portcullis.otp.OtpApi;
import dev.portcullis.otp.OtpSender;
import dev.portcullis.owner.ConsoleOwners;
import dev.portcullis.owner.OwnerApi;
import dev.portcullis.owner.OwnerRepository;
import dev.portcullis.owner.OwnerSignup;
import dev.portcullis.owner.OwnerSignupPolicy;
import dev.portcullis.password.AdminPasswords;
import dev.portcullis.password.PasswordApi;
import dev.portcullis.security.SecurityEvents;
import dev.portcullis.token.Introspection;
import dev.portcullis.token.SessionEnds;
import dev.portcullis.token.SigningKeyStore;
import dev.portcullis.tenant.TenantApi;
import dev.portcullis.tenant.TenantRepository;
import dev.portcullis.token.TokenApi;
import dev.portcullis.user.DefaultRoles;
import dev.portcullis.user.RoleApi;
import dev.portcullis.user.RoleRepository;
import dev.portcullis.user.UserApi;
import dev.portcullis.user.UserChanges;
import dev.portcullis.user.UserEvents;
import dev.portcullis.user.UserMetrics;
import dev.portcullis.user.UserRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The public API: one instance per event loop, all on the same port. {@link #start()} builds this verticle's
 * clients and each capability's {@code *Api} from exactly what it uses; {@link #routes} is the route table.
 */
public final class ApiVerticle extends VerticleBase {

  public static final int BODY_LIMIT_BYTES = 64 * 1024;
  private static final long DRAIN_SECONDS = 20;

  private HttpServer server;
  private Postgres pg;
  private RedisStore redis;
  private ClientFailures clientFailures;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config);
    redis = RedisStore.create(vertx, config);
    MasterKey masterKey = MasterKey.from(config);
    MeterRegistry metrics = Metrics.registry(vertx);
    Bus bus = new Bus(vertx, config);
    AuditLog audit = new AuditLog(bus);
    AppRepository apps = new AppRepository(pg);
    AppDirectory appDirectory = new AppDirectory(apps, masterKey, UnknownApps.of(vertx), metrics);
    // This verticle's client-auth cache drops an app as soon as any verticle of the process changes it.
    appDirectory.listen(vertx);

    clientFailures = new ClientFailures(vertx, redis, audit, config, metrics).start();
    ClientAuthentication clientAuthentication = new ClientAuthentication(appDirectory, clientFailures, metrics);
    ClientAuth client = new ClientAuth(clientAuthentication);
    Guards guards = new Guards(
        TrustedProxies.parse(GatewayConfig.TRUSTED_PROXIES, config.optional(GatewayConfig.TRUSTED_PROXIES)),
        new AdmissionControl(config.httpMaxInFlight(), metrics),
        client,
        new AdminAuth(config.adminKey(), new ConsoleOwners(bus)),
        new AppAccess(apps),
        client.whenPresented(),
        new AppIdGuard(appDirectory, UnknownApps.of(vertx), KnownApps.of(vertx), clientFailures,
            config.backendTimeoutMs()));
    Apis apis = new Apis(
        new OtpApi(bus),
        new TokenApi(vertx, bus, Introspection.create(vertx, config, pg, redis, clientFailures),
            new SigningKeyStore(pg)),
        new OwnerApi(bus, audit, metrics, new OwnerSignup(vertx, new OwnerRepository(pg),
            OwnerSignupPolicy.from(config), appDirectory, redis, new AuditStaging(pg, audit), new SecurityEvents(vertx),
            metrics)),
        new AppApi(vertx, apps, masterKey, audit, config.issuer(), metrics,
            new DefaultRoles(new RoleRepository(pg)), config.maxAppsPerOwner(), redis),
        new AuditApi(apps, new AuditReader(pg), config.masterKey(),
            AuditApi.verifyMaxEvents(config), AuditApi.verifyBudgetMs(config)),
        users(bus, audit, metrics, config),
        new PasswordApi(bus),
        LicenseApi.create(vertx, config, pg, redis, masterKey, appDirectory, audit, metrics),
        hosted(config, bus, audit, appDirectory, clientAuthentication, metrics));

    BodyFraming framing = new BodyFraming();
    server = vertx.createHttpServer(new HttpServerOptions()
            .setPort(config.httpPort())
            .setIdleTimeout(idleTimeoutMs(config))
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
            // HTTP/1.1 only: over an h2c upgrade the framing checks and the JSON error contract did not hold.
            .setHttp2ClearTextEnabled(false)
            // A form field may be as long as a whole body (Vert.x's default, 8 KiB, failed a longer one with a 500).
            .setMaxFormAttributeSize(BODY_LIMIT_BYTES))
        .invalidRequestHandler(framing.guardInvalid(InvalidRequests::answer))
        .requestHandler(framing.guard(routes(Router.router(vertx), guards, apis)));
    return server.listen().recover(failure -> Future.failedFuture(GatewayConfig.listenFailure(GatewayConfig.HTTP_PORT,
        config.httpPort(), failure)));
  }

  /**
   * A minute, or longer than the longest wait for an answer (the bus's, under a long backend timeout): a connection
   * counts as idle while its request waits, and one closed before the answer got no 503 at all.
   */
  static int idleTimeoutMs(GatewayConfig config) {
    return (int) Math.max(60_000, Bus.sendTimeoutMs(config) + 10_000);
  }

  /** The users, roles and tenants admin API, sharing one change marker, one audit sender and one set of metrics. */
  private UserApis users(Bus bus, AuditLog audit, MeterRegistry metrics, GatewayConfig config) {
    UserChanges changes = new UserChanges(redis);
    UserEvents events = new UserEvents(new AuditStaging(pg, audit));
    UserMetrics userMetrics = new UserMetrics(metrics);
    RoleRepository roles = new RoleRepository(pg);
    SessionEnds sessionEnds = new SessionEnds(pg, redis, audit, metrics);
    return new UserApis(
        new UserApi(vertx, bus, new UserRepository(pg), roles, changes, events, userMetrics,
            AdminPasswords.create(vertx, config, metrics), sessionEnds),
        new RoleApi(roles, changes, events),
        new TenantApi(sessionEnds, new TenantRepository(pg), changes, events, userMetrics));
  }

  /** The hosted sign-in pages and the conversations that run on them. */
  private HostedApis hosted(GatewayConfig config, Bus bus, AuditLog audit, AppDirectory apps,
                            ClientAuthentication clientAuthentication, MeterRegistry metrics) {
    HostedApi hosted = new HostedApi(config.issuer(), pg, redis, bus, audit, apps, metrics, new BusPasswords(bus),
        OtpSender.Limits.from(config).smsCeiling());
    OidcApi oidc = new OidcApi(config.issuer(), pg, bus, audit, apps, clientAuthentication, clientFailures,
        hosted, metrics);
    return new HostedApis(hosted, new ConversationApi(config.issuer(), pg, redis, audit, apps, clientFailures, hosted,
        ConversationApi.creationsPerHour(config)), oidc);
  }

  /** What a route may require before its handler runs; admission control comes before every route. */
  record Guards(TrustedProxies proxies, AdmissionControl admission, ClientAuth client, AdminAuth admin,
                AppAccess appAccess,
                Handler<RoutingContext> clientIfPresented, AppIdGuard appId) {
  }

  /** One handler object per capability. */
  record Apis(OtpApi otp, TokenApi tokens, OwnerApi owners, AppApi apps, AuditApi audit, UserApis users,
              PasswordApi passwords, LicenseApi licenses, HostedApis hosted) {
  }

  /** The hosted pages (Autz.org onboarding and every flow's form posts), conversations, and OpenID Connect. */
  record HostedApis(HostedApi pages, ConversationApi conversations, OidcApi oidc) {
  }

  /** The users, roles and tenants admin API. */
  record UserApis(UserApi users, RoleApi roles, TenantApi tenants) {
  }

  /**
   * Every public route: method, path, guard, handler. Guards: {@code client} is the client backend's
   * app_id + app_secret ({@code 401 invalid_client}); {@code admin} is the admin key or an owner's access
   * token ({@code 401 invalid_token}), and {@code appAccess} after it loads {@code :app_id} when the caller
   * may see it ({@code 404} otherwise); {@code clientIfPresented} checks client credentials only when a call
   * carries them; {@code appId} counts the unknown app ids an anonymous caller names toward its failure limit
   * ({@code 429} beyond it). No guard: the handler checks what it needs itself.
   */
  static Router routes(Router router, Guards guard, Apis api) {
    // First: whichever handler answers a chunked request, or the router itself, its connection closes after it.
    BodyFraming.closeAfterChunked(router);
    router.route().handler(RequestIds::handle);
    RouteTemplates templates = new RouteTemplates(router);
    AccessLog accessLog = new AccessLog(templates);
    router.route().handler(accessLog);
    // A request the router refused before any handler ran (no Host header) gets its id and access line here
    router.route().failureHandler(RequestIds::handleFailure);
    router.route().failureHandler(accessLog::handleFailure);
    // Conversations answer their errors in the backend's media type, also those of the checks just below. These two
    // match paths in code, not by a route path of their own: the HTTP metrics label a request by every route path
    // it matched.
    router.route().handler(ConversationApi::errorsInKind);
    router.route().handler(PathSegments::check);
    router.route().handler(SingleHeaders::check);
    router.route().handler(guard.proxies());
    router.route().handler(guard.admission());
    router.route().handler(new RequestBodies(BODY_LIMIT_BYTES));
    router.route().handler(NulCharacters::check);
    router.route().handler(RepeatedQueryParameters::check);
    // The hosted pages' forms post application/x-www-form-urlencoded: before the JSON body parser, which refuses it
    HostedApi pages = api.hosted().pages();
    // The JWKS answers from its last copy while Postgres is unavailable, for apps it has one of.
    Handler<RoutingContext> jwksGuard = guard.appId().servingWhenStoreFails(api.tokens()::servesJwksWithoutStore);
    router.post("/hosted/:app_id/flow").handler(guard.appId()).handler(pages::submit);
    // OpenID Connect's token, revocation and userinfo posts are form-encoded too, as OAuth clients send them
    OidcApi oidc = api.hosted().oidc();
    router.post("/oidc/:app_id/token").handler(oidc::token);
    router.post("/oidc/:app_id/revoke").handler(oidc::revoke);
    router.post("/oidc/:app_id/userinfo").handler(guard.appId()).handler(oidc::userInfo);
    router.post("/oidc/:app_id/authorize").handler(guard.appId()).handler(oidc::authorize);
    // Any other method there is 405: the JSON body parser's catch-all below would otherwise leave the router a 404.
    for (String postOnly : List.of("/hosted/:app_id/flow", "/oidc/:app_id/token", "/oidc/:app_id/revoke")) {
      router.route(postOnly).handler(ApiVerticle::postOnly);
    }
    router.route().handler(new JsonBody(templates));

    // End users, through their client backend
    router.post("/auth/send-otp").handler(guard.client()).handler(api.otp()::send);
    router.post("/auth/verify-otp").handler(guard.client()).handler(api.otp()::verify);
    router.post("/auth/refresh").handler(guard.client()).handler(api.tokens()::refresh);
    router.post("/auth/logout").handler(guard.client()).handler(api.tokens()::logout);
    router.get("/auth/me").handler(api.tokens()::me);
    router.get("/v1/apps/:app_id/jwks.json").handler(jwksGuard).handler(api.tokens()::jwks);

    // Licensed devices: authenticated by the license key (and the client's credentials when presented). Near the
    // top with the other hot paths: the router tries the routes in order, matching the patterned ones by regex.
    LicenseApi lic = api.licenses();
    router.post("/licenses/activate").handler(guard.clientIfPresented()).handler(lic.devices()::activate);
    router.post("/licenses/verify").handler(guard.clientIfPresented()).handler(lic.devices()::verify);
    router.post("/licenses/heartbeat").handler(guard.clientIfPresented()).handler(lic.devices()::heartbeat);
    router.post("/licenses/deactivate").handler(guard.clientIfPresented()).handler(lic.devices()::deactivate);
    router.post("/licenses/checkout").handler(guard.clientIfPresented()).handler(lic.devices()::checkout);

    router.post("/auth/challenge").handler(guard.client()).handler(api.passwords()::challenge);
    router.post("/auth/signup").handler(guard.client()).handler(api.passwords()::signup);
    router.post("/auth/verify").handler(guard.client()).handler(api.passwords()::verify);
    router.post("/auth/resend-verification").handler(guard.client()).handler(api.passwords()::resend);
    router.post("/auth/login").handler(guard.client()).handler(api.passwords()::login);
    router.post("/auth/change-password").handler(guard.client()).handler(api.passwords()::changePassword);
    router.post("/auth/request-password-reset").handler(guard.client()).handler(api.passwords()::requestReset);
    router.post("/auth/reset-password").handler(guard.client()).handler(api.passwords()::resetPassword);

    // Owners signing in to the console, and created by the operator
    router.post("/v1/owners").handler(guard.admin()).handler(api.owners()::create);
    router.post("/v1/owners/send-otp").handler(api.owners()::sendOtp);
    router.post("/v1/owners/verify-otp").handler(api.owners()::verifyOtp);
    router.post("/v1/owners/refresh").handler(api.owners()::refresh);
    router.post("/v1/owners/logout").handler(api.owners()::logout);

    // Admin API: the operator, or an owner for its own apps
    router.post("/v1/apps").handler(guard.admin()).handler(api.apps()::create);
    router.get("/v1/apps").handler(guard.admin()).handler(api.apps()::list);
    router.get("/v1/apps/:app_id").handler(guard.admin()).handler(guard.appAccess().withConsole())
        .handler(api.apps()::get);
    router.patch("/v1/apps/:app_id").handler(guard.admin()).handler(guard.appAccess().withConsole())
        .handler(api.apps()::update);
    router.delete("/v1/apps/:app_id").handler(guard.admin()).handler(guard.appAccess()).handler(api.apps()::delete);
    router.post("/v1/apps/:app_id/rotate-secret").handler(guard.admin()).handler(guard.appAccess())
        .handler(api.apps()::rotateSecret);
    router.post("/v1/apps/:app_id/rotate-signing-key").handler(guard.admin()).handler(guard.appAccess())
        .handler(api.apps()::rotateSigningKey);
    router.get("/v1/apps/:app_id/audit").handler(guard.admin()).handler(api.audit()::list);
    router.get("/v1/apps/:app_id/audit/verify").handler(guard.admin()).handler(api.audit()::verify);

    // Users, roles and tenants of an app (admin API); tenant routes load :tenant_id (404 when not the app's)
    UserApi users = api.users().users();
    String user = "/v1/apps/:app_id/users/:user_id";
    router.get("/v1/apps/:app_id/users").handler(guard.admin()).handler(guard.appAccess().withConsole())
        .handler(users::list);
    router.post("/v1/apps/:app_id/users").handler(guard.admin()).handler(guard.appAccess()).handler(users::create);
    router.get(user).handler(guard.admin()).handler(guard.appAccess().withConsole()).handler(users::get);
    router.patch(user).handler(guard.admin()).handler(guard.appAccess().withConsole()).handler(users::update);
    router.delete(user).handler(guard.admin()).handler(guard.appAccess()).handler(users::delete);
    router.put(user + "/roles").handler(guard.admin()).handler(guard.appAccess()).handler(users::replaceRoles);
    router.get(user + "/sessions").handler(guard.admin()).handler(guard.appAccess().withConsole())
        .handler(users::sessions);
    router.delete("/v1/apps/:app_id/sessions/:session_id").handler(guard.admin()).handler(guard.appAccess().withConsole())
        .handler(users::revokeSession);
    RoleApi roles = api.users().roles();
    router.get("/v1/apps/:app_id/roles").handler(guard.admin()).handler(guard.appAccess()).handler(roles::list);
    router.post("/v1/apps/:app_id/roles").handler(guard.admin()).handler(guard.appAccess()).handler(roles::create);
    router.delete("/v1/apps/:app_id/roles/:role").handler(guard.admin()).handler(guard.appAccess()).handler(roles::delete);
    TenantApi tenants = api.users().tenants();
    String tenant = "/v1/apps/:app_id/tenants/:tenant_id";
    router.post("/v1/apps/:app_id/tenants").handler(guard.admin()).handler(guard.appAccess()).handler(tenants::create);
    router.get("/v1/apps/:app_id/tenants").handler(guard.admin()).handler(guard.appAccess()).handler(tenants::list);
    router.get(tenant).handler(guard.admin()).handler(guard.appAccess()).handler(tenants::load).handler(tenants::get);
    router.patch(tenant).handler(guard.admin()).handler(guard.appAccess()).handler(tenants::load).handler(tenants::update);
    router.delete(tenant).handler(guard.admin()).handler(guard.appAccess()).handler(tenants::load).handler(tenants::delete);
    router.get(tenant + "/members").handler(guard.admin()).handler(guard.appAccess()).handler(tenants::load)
        .handler(tenants::members);
    router.put(tenant + "/members/:user_id").handler(guard.admin()).handler(guard.appAccess()).handler(tenants::load)
        .handler(tenants::putMember);
    router.delete(tenant + "/members/:user_id").handler(guard.admin()).handler(guard.appAccess()).handler(tenants::load)
        .handler(tenants::removeMember);

    // Licenses: the owner's policies, licenses and devices
    String policies = "/v1/apps/:app_id/license-policies";
    String licenses = "/v1/apps/:app_id/licenses";
    router.post(policies).handler(guard.admin()).handler(guard.appAccess()).handler(lic.admin()::createPolicy);
    router.get(policies).handler(guard.admin()).handler(guard.appAccess()).handler(lic.admin()::listPolicies);
    router.get(policies + "/:policy_id").handler(guard.admin()).handler(guard.appAccess())
        .handler(lic.admin()::getPolicy);
    router.patch(policies + "/:policy_id").handler(guard.admin()).handler(guard.appAccess())
        .handler(lic.admin()::updatePolicy);
    router.delete(policies + "/:policy_id").handler(guard.admin()).handler(guard.appAccess())
        .handler(lic.admin()::deletePolicy);
    router.post(licenses).handler(guard.admin()).handler(guard.appAccess()).handler(lic.admin()::createLicense);
    router.get(licenses).handler(guard.admin()).handler(guard.appAccess()).handler(lic.admin()::listLicenses);
    router.get(licenses + "/:license_id").handler(guard.admin()).handler(guard.appAccess())
        .handler(lic.admin()::getLicense);
    router.post(licenses + "/:license_id/suspend").handler(guard.admin()).handler(guard.appAccess())
        .handler(lic.admin()::suspend);
    router.post(licenses + "/:license_id/reinstate").handler(guard.admin()).handler(guard.appAccess())
        .handler(lic.admin()::reinstate);
    router.post(licenses + "/:license_id/revoke").handler(guard.admin()).handler(guard.appAccess())
        .handler(lic.admin()::revoke);
    router.delete(licenses + "/:license_id/devices/:device_id").handler(guard.admin()).handler(guard.appAccess())
        .handler(lic.admin()::deleteDevice);

    // Hosted sign-in pages (HTML; their errors are pages too) and the APIs that go with them
    ConversationApi conversations = api.hosted().conversations();
    router.get("/onboarding/:app_id").handler(guard.appId()).handler(pages::onboarding);
    router.get("/hosted/conversations/:id").handler(conversations::open);
    router.get("/hosted/static/hosted.css").handler(pages::stylesheet);
    router.get("/hosted/static/pow.js").handler(pages::powScript);
    router.get("/hosted/static/once.js").handler(pages::onceScript);
    router.get("/api/client/:app_id/userinfo").handler(guard.appId()).handler(guard.clientIfPresented())
        .handler(pages::userInfo);
    router.post("/api/conversations").handler(guard.client()).handler(conversations::create);
    router.get("/api/conversations/:id").handler(guard.client()).handler(conversations::read);

    // OpenID Connect, one issuer per app ({PORTCULLIS_ISSUER}/oidc/{app_id}); the form posts are above
    router.get("/oidc/:app_id/.well-known/openid-configuration").handler(guard.appId()).handler(oidc::discovery);
    router.get("/oidc/:app_id/jwks.json").handler(jwksGuard).handler(api.tokens()::jwks);
    router.get("/oidc/:app_id/authorize").handler(guard.appId()).handler(oidc::authorize);
    router.get("/oidc/:app_id/userinfo").handler(guard.appId()).handler(oidc::userInfo);

    // What a browser loads is refused with a page, whatever refused it (admission control, a store down)
    for (String page : List.of("/hosted/*", "/onboarding/*", "/oidc/:app_id/authorize")) {
      router.route(page).failureHandler(HostedApi::failed);
    }
    RouteTemplates.headWithGet(router,
        Set.of("/onboarding/:app_id", "/hosted/conversations/:id", "/oidc/:app_id/authorize"));
    router.route().failureHandler(ErrorResponder::handle);
    // The router's own 400 (a query with a malformed %-escape, refused before any route) is a page there too.
    Handler<RoutingContext> badRequest = ErrorResponder.forStatus(400);
    router.errorHandler(400, ctx -> {
      if (isBrowserPage(ctx.request().path())) {
        FlowEngine.failed(ctx, new ApiException(ErrorCode.INVALID_REQUEST, "malformed query string"));
      } else {
        badRequest.handle(ctx);
      }
    });
    router.errorHandler(404, ErrorResponder.forStatus(404));
    router.errorHandler(405, ErrorResponder.methodNotAllowed(templates));
    return router;
  }

  private static boolean isBrowserPage(String path) {
    return path != null && (path.startsWith("/hosted/") || path.startsWith("/onboarding/")
        || path.startsWith("/oidc/") && path.endsWith("/authorize"));
  }

  private static void postOnly(RoutingContext ctx) {
    ctx.response().putHeader("Allow", "POST");
    ctx.fail(405);
  }

  @Override
  public Future<?> stop() {
    // Graceful: stop accepting, let in-flight requests finish, then close the clients they used.
    if (clientFailures != null) {
      clientFailures.stop();
    }
    Future<Void> drained = server == null ? Future.succeededFuture() : server.shutdown(DRAIN_SECONDS, TimeUnit.SECONDS);
    return drained.eventually(() -> Future.join(pg.close(), redis.close()));
  }
}
