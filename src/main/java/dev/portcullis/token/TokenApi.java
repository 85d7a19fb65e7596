package dev.portcullis.token;

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
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code /auth/refresh}, {@code /auth/logout}, {@code /auth/me} and the JWKS: done by the Token verticle. */
public final class TokenApi {

  private final ApiContext api;
  private final ClientAuth clientAuth;

  public TokenApi(ApiContext api, ClientAuth clientAuth) {
    this.api = api;
    this.clientAuth = clientAuth;
  }

  public void mount(Router router) {
    router.post("/auth/refresh").handler(clientAuth::handle).handler(this::refresh);
    router.post("/auth/logout").handler(clientAuth::handle).handler(this::logout);
    router.get("/auth/me").handler(this::me);
  }

  private void refresh(RoutingContext ctx) {
    JsonObject message = new JsonObject().put("refresh_token", Fields.requiredString(JsonBody.of(ctx), "refresh_token"));
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
    api.bus().request(Bus.TOKEN_INTROSPECT, Requests.withRequest(ctx, new JsonObject().put("access_token", token)))
        .onSuccess(result -> Responses.ok(ctx, result))
        .onFailure(ctx::fail);
  }
}
