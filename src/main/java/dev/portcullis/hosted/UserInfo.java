package dev.portcullis.hosted;

import dev.portcullis.app.AppDirectory;
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
 * HTTP Basic, or, for a code issued with a code_challenge, by the code_verifier alone.
 */
final class UserInfo {

  private final CodeExchange exchange;
  private final HostedUsers users;

  UserInfo(CodeExchange exchange, HostedUsers users) {
    this.exchange = exchange;
    this.users = users;
  }

  void answer(RoutingContext ctx) {
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    UUID client = ClientAuth.appId(ctx);
    if (appId == null || client != null && !client.equals(appId)) {
      ctx.fail(AppDirectory.invalidClient());
      return;
    }
    String code = QueryParams.of(ctx).get("code");
    String verifier = QueryParams.of(ctx).get("code_verifier");
    if (code == null || code.isEmpty()) {
      ctx.fail(ApiException.invalid("code", "is required"));
      return;
    }
    if (client == null && (verifier == null || verifier.isEmpty())) {
      ctx.fail(new ApiException(ErrorCode.INVALID_CLIENT,
          "authenticate with HTTP Basic app_id:app_secret, or give the code_verifier of a PKCE flow"));
      return;
    }
    if (verifier != null && !verifier.isEmpty() && !CodeExchange.wellFormedVerifier(verifier)) {
      ctx.fail(ApiException.invalid("code_verifier", CodeExchange.VERIFIER_SYNTAX));
      return;
    }
    exchange.exchange(appId, AutzKind.NAME, code, client != null, verifier, null, FlowEngine.visit(ctx))
        .compose(done -> users.userData(appId, UUID.fromString(done.user().getString("id"))))
        .compose(user -> user == null
            ? Future.failedFuture(CodeExchange.invalidGrant())
            : exchange.beforeAnswering(code).map(alone -> new JsonObject().put("user", user)))
        .onSuccess(body -> Responses.ok(ctx, body))
        .onFailure(ctx::fail);
  }
}
