package dev.portcullis.oidc;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import dev.portcullis.core.messages.TokenMessages.Introspect;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * {@code GET|POST /oidc/{app_id}/userinfo} (OpenID Connect Core §5.3): the Bearer access token of an OpenID Connect
 * session of the app (header, or {@code access_token} in a form body, RFC 6750) → {@code sub} and the claims of the
 * scopes the user granted. A bad, expired or revoked token is {@code 401 invalid_token} with
 * {@code WWW-Authenticate: Bearer realm="oidc", error="invalid_token"}; no token at all, the same without the error.
 */
final class UserInfoEndpoint {

  private final Bus bus;
  private final OidcSessions sessions;
  private final UserClaims userClaims;

  UserInfoEndpoint(Bus bus, OidcSessions sessions, UserClaims userClaims) {
    this.bus = bus;
    this.sessions = sessions;
    this.userClaims = userClaims;
  }

  void handle(RoutingContext ctx) {
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    String token;
    try {
      token = bearer(ctx);
    } catch (ApiException invalid) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"oidc\", error=\"invalid_request\"");
      ctx.fail(invalid);
      return;
    }
    if (token == null || token.isEmpty()) {
      // RFC 6750 §3.1: a request with no token at all gets the challenge without an error code.
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"oidc\"");
      ctx.fail(new ApiException(ErrorCode.INVALID_TOKEN, "Authorization: a Bearer access token is required"));
      return;
    }
    if (appId == null) {
      refuse(ctx, new ApiException(ErrorCode.INVALID_TOKEN, "the access token is not one of this issuer"));
      return;
    }
    bus.request(Bus.TOKEN_INTROSPECT, new Introspect(token, appId, RequestIds.of(ctx), Requests.callerIp(ctx)))
        .compose(live -> sessions.bySession(UUID.fromString(live.session().getString("id")), appId).compose(granted -> {
          if (granted == null) {
            return Future.failedFuture(new ApiException(ErrorCode.INVALID_TOKEN,
                "the access token is not one of an OpenID Connect session"));
          }
          return userClaims.of(appId, live.userId(), Scopes.granted(granted.scope()));
        }))
        .onSuccess(claims -> {
          if (claims == null) {
            refuse(ctx, new ApiException(ErrorCode.INVALID_TOKEN, "the access token's user is no longer active"));
            return;
          }
          ctx.response().putHeader("Cache-Control", "no-store");
          Responses.ok(ctx, claims);
        })
        .onFailure(failure -> {
          ApiException api = Failures.toApi(failure);
          if (api.code() == ErrorCode.INVALID_TOKEN || api.code() == ErrorCode.SESSION_REVOKED) {
            refuse(ctx, new ApiException(ErrorCode.INVALID_TOKEN, api.getMessage()));
          } else {
            ctx.fail(failure);
          }
        });
  }

  /** The access token of the header or of a form body; both at once is {@code 400 invalid_request}. */
  private static String bearer(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    String fromHeader = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
    String fromForm = null;
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
      fromForm = ctx.request().formAttributes().get("access_token");
    }
    if (fromHeader != null && fromForm != null) {
      throw ApiException.invalid("access_token", "give the access token once: in the header or in the body");
    }
    return fromHeader != null ? fromHeader : fromForm;
  }

  private static void refuse(RoutingContext ctx, ApiException failure) {
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"oidc\", error=\"invalid_token\"");
    ctx.fail(failure);
  }
}
