package dev.portcullis.http;

import dev.portcullis.app.App;
import dev.portcullis.core.Bus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * End-user authentication ({@code /auth/*}), called by client backends. The HTTP side validates and
 * authenticates the client; the OTP and Token verticles do the work over the event bus.
 */
public final class AuthApi {

  private final ApiContext api;
  private final ClientAuth clientAuth;

  public AuthApi(ApiContext api, ClientAuth clientAuth) {
    this.api = api;
    this.clientAuth = clientAuth;
  }

  public void mount(Router router) {
    router.post("/auth/send-otp").handler(clientAuth::handle).handler(ctx -> forward(ctx, Bus.OTP_SEND, sendOtp(ctx)));
    router.post("/auth/verify-otp").handler(clientAuth::handle).handler(ctx -> forward(ctx, Bus.OTP_VERIFY, verifyOtp(ctx)));
    router.post("/auth/refresh").handler(clientAuth::handle).handler(ctx -> forward(ctx, Bus.TOKEN_REFRESH, refresh(ctx)));
    router.post("/auth/logout").handler(clientAuth::handle).handler(ctx -> forward(ctx, Bus.TOKEN_LOGOUT, logout(ctx)));
    router.get("/auth/me").handler(this::me);
  }

  private JsonObject sendOtp(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    return new JsonObject()
        .put("email", Fields.optionalString(body, "email"))
        .put("phone", Fields.optionalString(body, "phone"));
  }

  private JsonObject verifyOtp(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    return new JsonObject()
        .put("otp_request_id", Fields.requiredString(body, "otp_request_id"))
        .put("otp", Fields.requiredString(body, "otp"));
  }

  private JsonObject refresh(RoutingContext ctx) {
    return new JsonObject().put("refresh_token", Fields.requiredString(JsonBody.of(ctx), "refresh_token"));
  }

  private JsonObject logout(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    return new JsonObject()
        .put("refresh_token", Fields.requiredString(body, "refresh_token"))
        .put("everywhere", Fields.optionalBoolean(body, "everywhere", false));
  }

  private void me(RoutingContext ctx) {
    String token = AdminAuth.bearer(ctx);
    if (token == null) {
      ctx.fail(new dev.portcullis.core.ApiException(dev.portcullis.core.ErrorCode.INVALID_TOKEN,
          "Authorization: Bearer <access token> is required"));
      return;
    }
    api.bus().request(Bus.TOKEN_INTROSPECT, withRequest(ctx, new JsonObject().put("access_token", token)))
        .onSuccess(result -> Responses.ok(ctx, result))
        .onFailure(ctx::fail);
  }

  private void forward(RoutingContext ctx, String address, JsonObject message) {
    App app = ClientAuth.app(ctx);
    message.put("app_id", app.id().toString());
    api.bus().request(address, withRequest(ctx, message))
        .onSuccess(result -> Responses.ok(ctx, result))
        .onFailure(ctx::fail);
  }

  /** Adds the request id and the end user's IP, which services log and audit with. */
  static JsonObject withRequest(RoutingContext ctx, JsonObject message) {
    return message
        .put("request_id", RequestIds.of(ctx))
        .put("client_ip", Fields.clientIp(JsonBody.of(ctx)));
  }
}
