package dev.portcullis.oidc;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.Failures;
import dev.portcullis.core.Issuers;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.Refresh;
import dev.portcullis.core.messages.TokenMessages.SignIdToken;
import dev.portcullis.hosted.CodeExchange;
import dev.portcullis.hosted.FlowKind;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /oidc/{app_id}/token}: the authorization_code grant (the hosted pages' code, PKCE S256, the exact
 * redirect_uri) and the refresh_token grant (the REST API's rotation, grace and reuse detection). Sessions are made
 * and rotated by the token service, their access tokens carrying the app's OpenID Connect issuer; errors are
 * RFC 6749 §5.2's.
 */
final class TokenEndpoint {

  private static final Logger LOG = LoggerFactory.getLogger(TokenEndpoint.class);

  static final String CODE_EXCHANGED = "oidc.code_exchanged";
  static final String REFRESHED = "oidc.token_refreshed";
  static final String AUTHORIZATION_CODE = "authorization_code";
  static final String REFRESH_TOKEN = "refresh_token";

  private final String gatewayIssuer;
  private final AppDirectory apps;
  private final OidcClients clients;
  private final CodeExchange exchange;
  private final OidcSessions sessions;
  private final UserClaims userClaims;
  private final Bus bus;
  private final AuditLog audit;
  private final OidcMetrics metrics;

  TokenEndpoint(String gatewayIssuer, AppDirectory apps, OidcClients clients, CodeExchange exchange,
                OidcSessions sessions, UserClaims userClaims, Bus bus, AuditLog audit, OidcMetrics metrics) {
    this.gatewayIssuer = gatewayIssuer;
    this.apps = apps;
    this.clients = clients;
    this.exchange = exchange;
    this.sessions = sessions;
    this.userClaims = userClaims;
    this.bus = bus;
    this.audit = audit;
    this.metrics = metrics;
  }

  void handle(RoutingContext ctx) {
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    MultiMap form = ctx.request().formAttributes();
    String grantType = form.get("grant_type");
    String grantLabel = AUTHORIZATION_CODE.equals(grantType) || REFRESH_TOKEN.equals(grantType) ? grantType : "other";
    Future<JsonObject> answer = formEncoded(ctx)
        .compose(ok -> clients.authenticate(ctx, appId))
        .compose(client -> app(client))
        .compose(app -> {
          if (grantType == null || grantType.isEmpty()) {
            return Future.failedFuture(OAuthError.invalidRequest("grant_type is required"));
          }
          for (String name : new String[] {"grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope"}) {
            if (form.getAll(name).size() > 1) {
              return Future.failedFuture(OAuthError.invalidRequest(name + " is given more than once"));
            }
          }
          return switch (grantType) {
            case AUTHORIZATION_CODE -> authorizationCode(ctx, app, form);
            case REFRESH_TOKEN -> refresh(ctx, app, form);
            default -> Future.failedFuture(OAuthError.unsupportedGrantType(
                "grant_type must be authorization_code or refresh_token"));
          };
        });
    answer.onSuccess(body -> {
          metrics.token(grantLabel, "ok");
          ctx.response().setStatusCode(200)
              .putHeader("Content-Type", "application/json")
              .putHeader("Cache-Control", "no-store")
              .putHeader("Pragma", "no-cache")
              .end(body.encode());
        })
        .onFailure(failure -> {
          OAuthError error = oauth(failure);
          if (error == null) {
            ctx.fail(failure);
            return;
          }
          metrics.token(grantLabel, error.error());
          error.answer(ctx);
        });
  }

  private Future<JsonObject> authorizationCode(RoutingContext ctx, App app, MultiMap form) {
    String code = form.get("code");
    String redirect = form.get("redirect_uri");
    String verifier = form.get("code_verifier");
    if (blank(code) || blank(redirect)) {
      return Future.failedFuture(OAuthError.invalidRequest("code and redirect_uri are required"));
    }
    if (blank(verifier)) {
      return Future.failedFuture(OAuthError.invalidRequest("code_verifier is required (PKCE)"));
    }
    if (!CodeExchange.wellFormedVerifier(verifier)) {
      return Future.failedFuture(OAuthError.invalidRequest("code_verifier " + CodeExchange.VERIFIER_SYNTAX));
    }
    if (!app.registers(redirect)) {
      return Future.failedFuture(OAuthError.invalidGrant("redirect_uri: is not one of the app's callback URLs"));
    }
    String issuer = Issuers.oidc(gatewayIssuer, app.id());
    FlowKind.Visit visit = visit(ctx);
    return exchange.exchange(app.id(), OidcKind.NAME, code, true, verifier, redirect, visit, issuer).compose(done -> {
      JsonObject data = done.data();
      UUID sessionId = done.tokens().sessionId();
      Set<String> scopes = Scopes.granted(data.getString("scope"));
      long authTime = data.getLong("auth_time");
      String amr = data.getString("amr");
      OffsetDateTime signedInAt = OffsetDateTime.ofInstant(Instant.ofEpochSecond(authTime), ZoneOffset.UTC);
      AuditEvent event = AuditEvent.of(CODE_EXCHANGED, app.id(), visit.requestId(), visit.clientIp())
          .withUser(done.tokens().userId())
          .with("session_id", sessionId.toString())
          .with("scope", Scopes.join(scopes));
      return sessions.record(sessionId, app.id(), Scopes.join(scopes), signedInAt, amr)
          .compose(recorded -> idToken(app, issuer, done.tokens().userId(), scopes, authTime, amr,
              data.getString("nonce"), done.tokens().expiresIn(), visit))
          .compose(idToken -> audit.record(event)
              .compose(stored -> exchange.beforeAnswering(code))
              .map(alone -> response(app, done.tokens(), idToken, scopes)));
    });
  }

  private Future<JsonObject> refresh(RoutingContext ctx, App app, MultiMap form) {
    String token = form.get("refresh_token");
    if (blank(token)) {
      return Future.failedFuture(OAuthError.invalidRequest("refresh_token is required"));
    }
    if (token.length() > 128) {
      return Future.failedFuture(OAuthError.invalidGrant("refresh_token is unknown or expired"));
    }
    FlowKind.Visit visit = visit(ctx);
    String issuer = Issuers.oidc(gatewayIssuer, app.id());
    return sessions.byRefreshToken(token, app.id()).compose(granted -> {
      if (granted == null || !granted.has(Scopes.OFFLINE_ACCESS)) {
        return Future.failedFuture(OAuthError.invalidGrant("refresh_token is unknown, expired, or not for offline_access"));
      }
      Set<String> scopes = Scopes.granted(granted.scope());
      String asked = form.get("scope");
      if (asked != null && !scopes.containsAll(Scopes.named(asked))) {
        return Future.failedFuture(OAuthError.invalidScope("scope may only name scopes granted before"));
      }
      return bus.request(Bus.TOKEN_REFRESH, new Refresh(app.id(), token, visit.requestId(), visit.clientIp(), null, issuer))
          .compose(tokens -> {
            AuditEvent event = AuditEvent.of(REFRESHED, app.id(), visit.requestId(), visit.clientIp())
                .withUser(tokens.userId())
                .with("session_id", granted.sessionId().toString());
            return idToken(app, issuer, tokens.userId(), scopes, granted.authTime().toEpochSecond(), granted.amr(), null,
                    tokens.expiresIn(), visit)
                .compose(idToken -> audit.record(event).map(stored -> response(app, tokens, idToken, scopes)));
          });
    });
  }

  /** {@code lifetime}: the access token's (access_token_ttl, but not past the session's end). */
  private Future<String> idToken(App app, String issuer, UUID userId, Set<String> scopes, long authTime, String amr,
                                 String nonce, int lifetime, FlowKind.Visit visit) {
    return userClaims.of(app.id(), userId, scopes).compose(claims -> {
      if (claims == null) {
        return Future.failedFuture(OAuthError.invalidGrant("the user is no longer active"));
      }
      JsonObject idClaims = IdTokenClaims.of(issuer, app.id(), claims, authTime, amr, nonce, lifetime);
      return bus.request(Bus.TOKEN_SIGN_ID_TOKEN, new SignIdToken(app.id(), idClaims, visit.requestId()))
          .map(signed -> signed.idToken());
    });
  }

  private static JsonObject response(App app, Grant tokens, String idToken, Set<String> scopes) {
    JsonObject body = new JsonObject()
        .put("access_token", tokens.accessToken())
        .put("token_type", "Bearer")
        .put("expires_in", tokens.expiresIn())
        .put("id_token", idToken)
        .put("scope", Scopes.join(scopes));
    if (scopes.contains(Scopes.OFFLINE_ACCESS)) {
      body.put("refresh_token", tokens.refreshToken());
    }
    return body;
  }

  private Future<App> app(UUID appId) {
    return apps.find(appId).compose(found -> found
        .map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(OAuthError.invalidClient())));
  }

  static Future<Void> formEncoded(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
      return Future.failedFuture(OAuthError.invalidRequest("the body must be application/x-www-form-urlencoded"));
    }
    return Future.succeededFuture();
  }

  /** The OAuth error a failure answers, or null for a failure that is not the client's (answered as the API's). */
  static OAuthError oauth(Throwable failure) {
    if (failure instanceof OAuthError error) {
      return error;
    }
    ApiException api = Failures.toApi(failure);
    return switch (api.code()) {
      case INVALID_GRANT, INVALID_REFRESH_TOKEN, SESSION_REVOKED, USER_DISABLED -> OAuthError.invalidGrant(api.getMessage());
      case REFRESH_TOKEN_REUSED -> OAuthError.invalidGrant("refresh_token_reused");
      case INVALID_CLIENT -> OAuthError.invalidClient();
      case INVALID_REQUEST -> OAuthError.invalidRequest(api.getMessage());
      default -> {
        if (Failures.isInternal(api)) {
          LOG.error("oidc token request failed", failure);
        }
        yield null;
      }
    };
  }

  static FlowKind.Visit visit(RoutingContext ctx) {
    return new FlowKind.Visit(RequestIds.of(ctx), Requests.callerIp(ctx));
  }

  private static boolean blank(String value) {
    return value == null || value.isEmpty();
  }
}
