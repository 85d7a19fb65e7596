package dev.portcullis.hosted;

import dev.portcullis.audit.AuditLog;
import dev.portcullis.http.ApiContext;
import dev.portcullis.http.ClientAuth;
import io.vertx.ext.web.Router;

/**
 * The hosted sign-in routes: the Autz.org onboarding page and UserInfo API, the form posts of every flow, and the
 * pages' two static files. Other flow kinds (conversations, OpenID Connect) register with {@link #engine()}.
 */
public final class HostedApi {

  private final FlowEngine engine;
  private final Onboarding onboarding;
  private final UserInfo userInfo;
  private final StaticAssets assets = new StaticAssets();
  private final AuthCodes codes;
  private final HostedMetrics metrics;

  public HostedApi(ApiContext api, ClientAuth clientAuth, PasswordSignIn passwords) {
    AuditLog audit = api.audit();
    metrics = new HostedMetrics(api.metrics());
    codes = new AuthCodes(api.redis());
    HostedUsers users = new HostedUsers(api.pg());
    engine = new FlowEngine(api.appDirectory(), new FlowStore(api.redis()), new BrowserCookie(api.config().issuer()),
        api.bus(), audit, metrics, passwords)
        .register(new AutzKind(codes, users));
    onboarding = new Onboarding(api.appDirectory(), engine, metrics);
    userInfo = new UserInfo(clientAuth, new CodeExchange(codes, api.bus(), audit, metrics), users);
  }

  /**
   * Mounted before the JSON body parser: the flow's form posts are {@code application/x-www-form-urlencoded}
   * (their fields are parsed by the body handler mounted before this).
   */
  public void mount(Router router) {
    router.get("/onboarding/:app_id").handler(onboarding::start);
    router.post("/hosted/:app_id/flow").handler(engine::submit);
    router.get("/hosted/static/hosted.css").handler(assets::stylesheet);
    router.get("/hosted/static/pow.js").handler(assets::powScript);
    router.get("/api/client/:app_id/userinfo").handler(userInfo::authenticate).handler(userInfo::answer);
  }

  public FlowEngine engine() {
    return engine;
  }

  public AuthCodes codes() {
    return codes;
  }

  public HostedMetrics metrics() {
    return metrics;
  }
}
