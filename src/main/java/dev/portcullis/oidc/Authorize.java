package dev.portcullis.oidc;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.ClientFailures;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Issuers;
import dev.portcullis.hosted.Flow;
import dev.portcullis.hosted.FlowEngine;
import dev.portcullis.hosted.HostedPages;
import dev.portcullis.http.QueryParams;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import io.netty.handler.codec.http.QueryStringEncoder;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code GET /oidc/{app_id}/authorize}: checks an authentication request (OpenID Connect Core §3.1.2) and starts an
 * "oidc" flow on the hosted pages. Until client_id and redirect_uri are known to be the app's own, a refusal is a
 * 400 page (redirecting would make the gateway an open redirector); after that it is a redirect to the
 * redirect_uri with {@code error} and {@code state}.
 */
final class Authorize {

  static final String STARTED = "oidc.authorize";
  static final String REFUSED = "oidc.authorize_refused";

  private static final Pattern CHALLENGE = Pattern.compile("[A-Za-z0-9_-]{43}");
  private static final int MAX_PARAM = 1024;
  private static final List<String> SINGLE = List.of("client_id", "redirect_uri", "response_type", "scope", "state",
      "nonce", "code_challenge", "code_challenge_method", "prompt", "response_mode", "request", "request_uri");

  /** A refusal sent back to the client, with the OAuth error code. */
  private record Refusal(String error, String description) {
  }

  private final AppDirectory apps;
  private final FlowEngine engine;
  private final AuditLog audit;
  private final OidcMetrics metrics;
  private final ClientFailures failures;
  private final String gatewayIssuer;

  Authorize(String gatewayIssuer, AppDirectory apps, FlowEngine engine, AuditLog audit, OidcMetrics metrics,
            ClientFailures failures) {
    this.gatewayIssuer = gatewayIssuer;
    this.apps = apps;
    this.engine = engine;
    this.audit = audit;
    this.metrics = metrics;
    this.failures = failures;
  }

  void handle(RoutingContext ctx) {
    if (ctx.request().method() == HttpMethod.POST) {
      getInstead(ctx);
      return;
    }
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    Future<Optional<App>> app = appId == null ? Future.succeededFuture(Optional.empty()) : apps.findSignInApp(appId);
    app.compose(found -> {
          MultiMap query = QueryParams.of(ctx);
          String page = found.isEmpty() ? "This app does not exist." : pageRefusal(found.get(), query);
          if (page != null) {
            metrics.authorize("refused");
            HostedPages.problem(ctx, 400, found.orElse(null), page);
            return Future.succeededFuture();
          }
          String redirect = query.get("redirect_uri");
          String state = blank(query.get("state")) ? null : query.get("state");
          Refusal refusal = redirectRefusal(query);
          if (refusal != null) {
            return refuse(ctx, found.get(), redirect, state, refusal);
          }
          Set<String> scopes = Scopes.granted(query.get("scope"));
          List<String> ask = found.get().settings().hosted().profileFields();
          Flow flow = Flow.start(appId, OidcKind.NAME, null, ask, List.of(ask), OidcKind.data(redirect, state,
              query.get("code_challenge"), blank(query.get("nonce")) ? null : query.get("nonce"), Scopes.join(scopes)));
          AuditEvent event = AuditEvent.of(STARTED, appId, RequestIds.of(ctx), Requests.callerIp(ctx))
              .with("flow_id", flow.id())
              .with("scope", Scopes.join(scopes))
              .with("redirect_uri", redirect);
          // Counted once the flow got through: a start the network's limit refuses is no start (h65).
          return engine.begin(ctx, found.get(), flow, event, () -> metrics.authorize("started"));
        })
        .onFailure(failure -> FlowEngine.failed(ctx, failure));
  }

  /**
   * OpenID Connect Core §3.1.2.1: authorize takes POST with the parameters as a form body too. It answers with a
   * 303 to the same request as a GET: a relying party's form posts from its own site, where the browser's
   * SameSite=Lax cookie is not sent, and a flow started there would replace that cookie and end the flows of the
   * browser's other tabs; the top-level GET that follows carries it.
   */
  private static void getInstead(RoutingContext ctx) {
    QueryStringEncoder query = new QueryStringEncoder(ctx.request().path());
    ctx.request().formAttributes().forEach(param -> query.addParam(param.getKey(), param.getValue()));
    ctx.response().setStatusCode(303)
        .putHeader("Location", query.toString())
        .putHeader("Cache-Control", "no-store")
        .end();
  }

  /** Why this request gets an error page: the client or its redirect_uri is not known to be the app's. */
  private static String pageRefusal(App app, MultiMap query) {
    for (String name : List.of("client_id", "redirect_uri")) {
      if (query.getAll(name).size() > 1) {
        return "The link gives " + name + " more than once.";
      }
    }
    if (!app.id().toString().equals(query.get("client_id"))) {
      return "The link's client_id is not this app.";
    }
    String redirect = query.get("redirect_uri");
    if (!app.registers(redirect)) {
      return "The link's redirect_uri is not one this app registered.";
    }
    return null;
  }

  /** Why this request is refused by a redirect, or null when it may start a flow. */
  private static Refusal redirectRefusal(MultiMap query) {
    for (String name : SINGLE) {
      if (query.getAll(name).size() > 1) {
        return new Refusal("invalid_request", name + " is given more than once");
      }
    }
    for (String name : List.of("state", "nonce")) {
      String value = query.get(name);
      if (value != null && value.length() > MAX_PARAM) {
        return new Refusal("invalid_request", name + " is longer than " + MAX_PARAM + " characters");
      }
    }
    // RFC 6749 §3.1: a parameter sent without a value is treated as omitted. The error codes: OpenID Connect Core §6.
    if (!blank(query.get("request"))) {
      return new Refusal("request_not_supported", "request objects are not supported");
    }
    if (!blank(query.get("request_uri"))) {
      return new Refusal("request_uri_not_supported", "request objects are not supported");
    }
    String responseType = query.get("response_type");
    if (blank(responseType)) {
      return new Refusal("invalid_request", "response_type is required");
    }
    if (!"code".equals(responseType)) {
      return new Refusal("unsupported_response_type", "only response_type=code is supported");
    }
    String mode = query.get("response_mode");
    if (!blank(mode) && !"query".equals(mode)) {
      return new Refusal("invalid_request", "only response_mode=query is supported");
    }
    if (!Scopes.granted(query.get("scope")).contains(Scopes.OPENID)) {
      return new Refusal("invalid_scope", "scope must include openid");
    }
    String challenge = query.get("code_challenge");
    if (blank(challenge)) {
      return new Refusal("invalid_request", "code_challenge is required (PKCE, S256)");
    }
    if (!"S256".equals(query.get("code_challenge_method"))) {
      return new Refusal("invalid_request", "code_challenge_method must be S256");
    }
    if (!CHALLENGE.matcher(challenge).matches()) {
      return new Refusal("invalid_request", "code_challenge is not an S256 challenge");
    }
    String prompt = query.get("prompt");
    List<String> prompts = prompt == null ? List.of() : List.of(prompt.trim().split(" +"));
    if (prompts.contains("none") && prompts.size() > 1) {
      return new Refusal("invalid_request", "prompt none cannot be combined with another value");
    }
    if (prompts.contains("none")) {
      // The hosted pages keep no sign-in session of their own: every authorization needs the user.
      return new Refusal("login_required", "the user must sign in");
    }
    return null;
  }

  /**
   * An anonymous caller can repeat a refused request at will, so a refusal is not audited one by one: it is
   * counted into one {@code oidc.authorize_refused} summary per app, source network and minute
   * ({@link ClientFailures}), and toward the caller's per-IP limit of anonymous failures.
   */
  private Future<Void> refuse(RoutingContext ctx, App app, String redirect, String state, Refusal refusal) {
    metrics.authorize("redirected_error");
    return failures.countAnonymous(REFUSED, app.id(), Requests.callerIp(ctx)).onSuccess(counted -> redirect(ctx,
        RedirectUris.withParams(redirect,
        "error", refusal.error(), "error_description", refusal.description(), "state", state,
        "iss", Issuers.oidc(gatewayIssuer, app.id()))));
  }

  static void redirect(RoutingContext ctx, String location) {
    ctx.response().setStatusCode(302)
        .putHeader("Location", location)
        .putHeader("Cache-Control", "no-store")
        .end();
  }

  private static boolean blank(String value) {
    return value == null || value.isEmpty();
  }
}
