package dev.portcullis.hosted;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.Failures;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import dev.portcullis.http.ErrorResponder;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpClosedException;
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

  /** {@code smsCeiling}: the operator's ceiling of any app's SMS budget (PORTCULLIS_SMS_MAX_SENDS_PER_HOUR_PER_APP). */
  public HostedApi(String issuer, Postgres pg, RedisStore redis, Bus bus, AuditLog audit, AppDirectory apps,
                   MeterRegistry registry, PasswordSignIn passwords, int smsCeiling) {
    metrics = new HostedMetrics(registry);
    codes = new AuthCodes(redis);
    HostedUsers users = new HostedUsers(pg);
    engine = new FlowEngine(apps, new FlowStore(redis), new FlowStarts(redis), new HostedSmsBudget(redis, smsCeiling),
        new BrowserCookie(issuer), bus, audit, metrics, passwords, users)
        .register(new AutzKind(codes, users));
    exchange = new CodeExchange(codes, apps, users, bus, audit, metrics);
    onboarding = new Onboarding(apps, engine, metrics);
    userInfo = new UserInfo(exchange, users, apps);
  }

  /** {@code GET /onboarding/{app_id}}: starts an Autz.org flow. */
  public void onboarding(RoutingContext ctx) {
    onboarding.start(ctx);
  }

  /** {@code POST /hosted/{app_id}/flow}: one step's form (application/x-www-form-urlencoded). */
  public void submit(RoutingContext ctx) {
    engine.submit(ctx);
  }

  /**
   * A failure of any {@code /hosted/...} request (its method, its body's size, a bug): an HTML page, as every
   * hosted answer is; the address bar may show a flow's post address, and reloading it must not show JSON.
   */
  public static void failed(RoutingContext ctx) {
    if (ctx.failure() instanceof HttpClosedException) {
      return; // the browser left: nobody to answer
    }
    if (ctx.failure() != null) {
      ApiException failure = ErrorResponder.failureOf(ctx);
      FlowEngine.failed(ctx, Failures.isInternal(failure) ? ctx.failure() : failure);
      return;
    }
    int status = ctx.statusCode();
    if (status == 405) {
      ctx.response().putHeader("Allow", "POST");
    }
    HostedPages.problem(ctx, status, null, status == 405
        ? "This address takes the sign-in form's answers. Go back to the app and start again."
        : status == 413 ? "That was more than a sign-in form sends. Go back and try again."
        : "This sign-in cannot go on. Go back to the app and start again.");
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

  public void onceScript(RoutingContext ctx) {
    assets.onceScript(ctx);
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
