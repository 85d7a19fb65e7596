package dev.portcullis.token;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.ApiContext;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * {@code /auth/refresh} and {@code /auth/logout} (done by the Token verticle), {@code /auth/me} (verified
 * here, in the HTTP verticle: it is the hottest endpoint) and the JWKS of each app.
 */
public final class TokenApi {

  private final ApiContext api;
  private final ClientAuth clientAuth;
  private final Introspection introspection;
  private final SigningKeyStore keys;

  public TokenApi(ApiContext api, ClientAuth clientAuth) {
    this.api = api;
    this.clientAuth = clientAuth;
    this.introspection = Introspection.create(api.config(), api.pg(), api.redis());
    this.keys = new SigningKeyStore(api.pg());
  }

  public void mount(Router router) {
    router.post("/auth/refresh").handler(clientAuth::handle).handler(this::refresh);
    router.post("/auth/logout").handler(clientAuth::handle).handler(this::logout);
    router.get("/auth/me").handler(this::me);
    router.get("/v1/apps/:app_id/jwks.json").handler(this::jwks);
  }

  private void refresh(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("refresh_token", Fields.requiredString(body, "refresh_token"))
        .put("tenant_id", Fields.optionalUuid(body, "tenant_id"));
    Requests.forward(api, ctx, Bus.TOKEN_REFRESH, message);
  }

  private void logout(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("refresh_token", Fields.requiredString(body, "refresh_token"))
        .put("everywhere", Fields.optionalBoolean(body, "everywhere", false));
    Requests.forward(api, ctx, Bus.TOKEN_LOGOUT, message);
  }

  private void me(RoutingContext ctx) {
    String token = AdminAuth.bearer(ctx);
    if (token == null) {
      ctx.fail(new ApiException(ErrorCode.INVALID_TOKEN, "Authorization: Bearer <access token> is required"));
      return;
    }
    introspection.introspect(token, null)
        .onSuccess(result -> Responses.ok(ctx, result))
        .onFailure(ctx::fail);
  }

  private void jwks(RoutingContext ctx) {
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    Future<JsonObject> jwks = appId == null
        ? Future.failedFuture(notFound())
        : keys.published(appId).compose(published -> published == null
            ? Future.failedFuture(notFound())
            : Future.succeededFuture(Jwks.of(published)));
    jwks.onSuccess(result -> Responses.ok(ctx, result)).onFailure(ctx::fail);
  }

  private static ApiException notFound() {
    return new ApiException(ErrorCode.NOT_FOUND, "app_id: no such app");
  }
}
