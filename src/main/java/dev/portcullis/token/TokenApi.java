package dev.portcullis.token;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.UnknownApps;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.LoggedOut;
import dev.portcullis.core.messages.TokenMessages.Logout;
import dev.portcullis.core.messages.TokenMessages.Refresh;
import dev.portcullis.http.AccessLog;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * {@code /auth/refresh} and {@code /auth/logout} (done by the Token verticle), {@code /auth/me} (verified
 * here, in the HTTP verticle: it is the hottest endpoint) and the JWKS of each app.
 */
public final class TokenApi {

  /** At most five minutes, as API.md asks: a rotated key reaches verifiers that cache the JWKS in time. */
  static final int JWKS_MAX_AGE_SECONDS = 300;

  private final Bus bus;
  private final Introspection introspection;
  private final JwksCache jwks;
  private final UnknownApps unknownApps;

  public TokenApi(Vertx vertx, Bus bus, Introspection introspection, SigningKeyStore keys) {
    this.bus = bus;
    this.introspection = introspection;
    this.jwks = new JwksCache(vertx, keys).listen(vertx);
    this.unknownApps = UnknownApps.of(vertx);
  }

  public void refresh(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Refresh request = new Refresh(ClientAuth.appId(ctx), Fields.requiredString(body, "refresh_token"),
        RequestIds.of(ctx), Requests.clientIp(ctx), Fields.optionalUuid(body, "tenant_id"));
    Responses.answer(ctx, bus.request(Bus.TOKEN_REFRESH, request).map(Grant::toJson));
  }

  public void logout(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Logout request = new Logout(ClientAuth.appId(ctx), Fields.requiredString(body, "refresh_token"),
        Fields.optionalBoolean(body, "everywhere", false), RequestIds.of(ctx), Requests.clientIp(ctx));
    Responses.answer(ctx, bus.request(Bus.TOKEN_LOGOUT, request).map(LoggedOut::toJson));
  }

  public void me(RoutingContext ctx) {
    String token = AdminAuth.bearer(ctx);
    if (token == null) {
      ctx.fail(new ApiException(ErrorCode.INVALID_TOKEN, "Authorization: Bearer <access token> is required"));
      return;
    }
    introspection.introspect(token, Requests.callerIp(ctx))
        .onSuccess(answer -> {
          AccessLog.app(ctx, answer.appId());
          Responses.ok(ctx, answer.body());
        })
        .onFailure(ctx::fail);
  }

  /** Whether the JWKS route answers for this app while Postgres is unavailable, from the copy it last loaded. */
  public boolean servesJwksWithoutStore(UUID appId) {
    return appId != null && jwks.keepsLastLoaded(appId);
  }

  public void jwks(RoutingContext ctx) {
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    // An id the guard found no app for: every verticle would otherwise load its JWKS to find it empty.
    if (appId == null || unknownApps.contains(appId, System.currentTimeMillis())) {
      ctx.fail(notFound());
      return;
    }
    jwks.of(appId)
        .onSuccess(found -> found.ifPresentOrElse(
            document -> Responses.cacheable(ctx, document, JWKS_MAX_AGE_SECONDS),
            () -> ctx.fail(notFound())))
        .onFailure(ctx::fail);
  }

  private static ApiException notFound() {
    return new ApiException(ErrorCode.NOT_FOUND, "app_id: no such app");
  }
}
