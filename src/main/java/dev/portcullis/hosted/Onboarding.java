package dev.portcullis.hosted;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.http.QueryParams;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code GET /onboarding/{app_id}?callback_url=&state=&code_challenge=&code_challenge_method=S256}: checks the
 * request and starts an Autz.org flow. Every refusal is a 400 page, never a redirect: until the callback is
 * known to be one of the app's own, sending the browser anywhere would make the gateway an open redirector.
 */
final class Onboarding {

  private static final Pattern CHALLENGE = Pattern.compile("[A-Za-z0-9_-]{43}");
  private static final int MAX_STATE = 1024;

  private final AppDirectory apps;
  private final FlowEngine engine;
  private final HostedMetrics metrics;

  Onboarding(AppDirectory apps, FlowEngine engine, HostedMetrics metrics) {
    this.apps = apps;
    this.engine = engine;
    this.metrics = metrics;
  }

  void start(RoutingContext ctx) {
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    Future<Optional<App>> app = appId == null ? Future.succeededFuture(Optional.empty()) : apps.findSignInApp(appId);
    app.compose(found -> {
          String refusal = found.isEmpty() ? "This app does not exist." : refusal(found.get(), QueryParams.of(ctx));
          if (refusal != null) {
            metrics.flow(AutzKind.NAME, "refused");
            HostedPages.problem(ctx, 400, found.orElse(null), refusal);
            return Future.succeededFuture();
          }
          MultiMap query = QueryParams.of(ctx);
          List<String> ask = found.get().settings().hosted().profileFields();
          Flow flow = Flow.start(appId, AutzKind.NAME, null, ask, List.of(ask),
              AutzKind.data(query.get("callback_url"), blankToNull(query.get("state")),
                  blankToNull(query.get("code_challenge"))));
          return engine.begin(ctx, found.get(), flow);
        })
        .onFailure(failure -> FlowEngine.failed(ctx, failure));
  }

  /** Why this request cannot start a flow, or null when it can. */
  static String refusal(App app, MultiMap query) {
    for (String name : List.of("callback_url", "state", "code_challenge", "code_challenge_method")) {
      if (query.getAll(name).size() > 1) {
        return "The link gives " + name + " more than once.";
      }
    }
    String callback = query.get("callback_url");
    if (!app.registers(callback)) {
      return "The link's callback_url is not one this app registered.";
    }
    String state = blankToNull(query.get("state"));
    String challenge = blankToNull(query.get("code_challenge"));
    if (state == null && challenge == null) {
      return "The link needs a state or a code_challenge.";
    }
    if (state != null && state.length() > MAX_STATE) {
      return "The link's state is longer than " + MAX_STATE + " characters.";
    }
    if (challenge != null && (!CHALLENGE.matcher(challenge).matches()
        || !"S256".equals(query.get("code_challenge_method")))) {
      return "The link's code_challenge must be an S256 challenge (code_challenge_method=S256).";
    }
    if (challenge == null && query.get("code_challenge_method") != null) {
      return "The link gives a code_challenge_method without a code_challenge.";
    }
    return null;
  }

  private static String blankToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
