package dev.portcullis.hosted;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.Bus;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.ext.web.RoutingContext;

/**
 * The hosted sign-in handlers: the Autz.org onboarding page and UserInfo API, the form posts of every flow, and
 * the pages' two static files. Other flow kinds (conversations, OpenID Connect) register with {@link #engine()}.
 */
public final class HostedApi {

  private final FlowEngine engine;
  private final Onboarding onboarding;
  private final UserInfo userInfo;
  private final StaticAssets assets = new StaticAssets();
  private final AuthCodes codes;
  private final CodeExchange exchange;
  private final HostedMetrics metrics;

  public HostedApi(String issuer, Postgres pg, RedisStore redis, Bus bus, AuditLog audit, AppDirectory apps,
                   MeterRegistry registry, PasswordSignIn passwords) {
    metrics = new HostedMetrics(registry);
    codes = new AuthCodes(redis);
    HostedUsers users = new HostedUsers(pg);
    engine = new FlowEngine(apps, new FlowStore(redis), new FlowStarts(redis), new BrowserCookie(issuer), bus, audit,
        metrics, passwords)
        .register(new AutzKind(codes, users));
    exchange = new CodeExchange(codes, bus, audit, metrics);
    onboarding = new Onboarding(apps, engine, metrics);
    userInfo = new UserInfo(exchange, users);
  }

  /** {@code GET /onboarding/{app_id}}: starts an Autz.org flow. */
  public void onboarding(RoutingContext ctx) {
    onboarding.start(ctx);
  }

  /** {@code POST /hosted/{app_id}/flow}: one step's form (application/x-www-form-urlencoded). */
  public void submit(RoutingContext ctx) {
    engine.submit(ctx);
  }

  /** {@code GET /api/client/{app_id}/userinfo}, after the client guard when credentials are presented. */
  public void userInfo(RoutingContext ctx) {
    userInfo.answer(ctx);
  }

  public void stylesheet(RoutingContext ctx) {
    assets.stylesheet(ctx);
  }

  public void powScript(RoutingContext ctx) {
    assets.powScript(ctx);
  }

  public FlowEngine engine() {
    return engine;
  }

  /** The code store and its exchange, for flow kinds that issue authorization codes of their own. */
  public CodeExchange exchange() {
    return exchange;
  }

  public AuthCodes codes() {
    return codes;
  }

  public HostedMetrics metrics() {
    return metrics;
  }
}
