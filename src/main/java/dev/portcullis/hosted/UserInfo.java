package dev.portcullis.hosted;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.CallbackUrls;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.http.QueryParams;
import dev.portcullis.http.Responses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * {@code GET /api/client/{app_id}/userinfo?code=&code_verifier=}: the Autz.org UserInfo API. Authenticated with
 * HTTP Basic, or, for a code issued with a code_challenge, by the code_verifier alone. That second way is for clients
 * that keep no secret, single-page apps among them: a browser at the origin of one of the app's callback URLs may
 * read its answers (CORS). The request is a simple one (a GET without credentials), so no preflight is needed.
 */
final class UserInfo {

  private final CodeExchange exchange;
  private final HostedUsers users;
  private final AppDirectory apps;

  UserInfo(CodeExchange exchange, HostedUsers users, AppDirectory apps) {
    this.exchange = exchange;
    this.users = users;
    this.apps = apps;
  }

  void answer(RoutingContext ctx) {
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    UUID client = ClientAuth.appId(ctx);
    if (appId == null || client != null && !client.equals(appId)) {
      ctx.fail(AppDirectory.invalidClient());
      return;
    }
    // The origin first: a browser reads the request's refusals as well as its answer.
    allowCallbackOrigin(ctx, appId, client)
        .compose(allowed -> redeem(ctx, appId, client))
        .onSuccess(body -> Responses.ok(ctx, body))
        .onFailure(ctx::fail);
  }

  private Future<JsonObject> redeem(RoutingContext ctx, UUID appId, UUID client) {
    String code = QueryParams.of(ctx).get("code");
    String verifier = QueryParams.of(ctx).get("code_verifier");
    if (code == null || code.isEmpty()) {
      return Future.failedFuture(ApiException.invalid("code", "is required"));
    }
    if (client == null && (verifier == null || verifier.isEmpty())) {
      return Future.failedFuture(new ApiException(ErrorCode.INVALID_CLIENT,
          "authenticate with HTTP Basic app_id:app_secret, or give the code_verifier of a PKCE flow"));
    }
    if (verifier != null && !verifier.isEmpty() && !CodeExchange.wellFormedVerifier(verifier)) {
      return Future.failedFuture(ApiException.invalid("code_verifier", CodeExchange.VERIFIER_SYNTAX));
    }
    return exchange.exchange(appId, AutzKind.NAME, code, client != null, verifier, null, FlowEngine.visit(ctx))
        .compose(done -> users.userData(appId, UUID.fromString(done.user().getString("id"))))
        .compose(user -> user == null
            ? Future.failedFuture(CodeExchange.invalidGrant())
            : exchange.beforeAnswering(code).map(alone -> new JsonObject().put("user", user)));
  }

  /** Lets a browser at a callback URL's origin read the answer of a PKCE redemption without a secret. */
  private Future<Void> allowCallbackOrigin(RoutingContext ctx, UUID appId, UUID client) {
    String origin = ctx.request().getHeader("Origin");
    if (client != null || origin == null) {
      return Future.succeededFuture();
    }
    ctx.response().putHeader("Vary", "Origin");
    String asked = CallbackUrls.origin(origin);
    return apps.find(appId).map(app -> {
      if (asked != null && app.isPresent()
          && app.get().usableCallbackUrls().stream().map(CallbackUrls::origin).anyMatch(asked::equals)) {
        ctx.response().putHeader("Access-Control-Allow-Origin", origin);
      }
      return null;
    });
  }
}
