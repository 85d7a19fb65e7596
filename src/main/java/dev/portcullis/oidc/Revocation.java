package dev.portcullis.oidc;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import dev.portcullis.core.messages.TokenMessages.Introspect;
import dev.portcullis.core.messages.TokenMessages.Logout;
import dev.portcullis.core.messages.TokenMessages.Revoke;
import dev.portcullis.hosted.FlowKind;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /oidc/{app_id}/revoke} (RFC 7009): a refresh token or an access token of the app; either ends its
 * whole session (every token of that sign-in), through the token service like a logout. Unknown, expired and
 * already revoked tokens are answered {@code 200} too, so a client learns nothing from the answer; they are counted
 * in the metrics, not audited (h84: 600 random tokens, 600 rows).
 */
final class Revocation {

  static final String REVOKED = "oidc.token_revoked";
  static final String REASON = "oidc_revocation";

  /**
   * Refusals that still answer 200 (RFC 7009 2.2: an invalid token is no error of the request): unknown, expired,
   * revoked, and a spent refresh token, whose session the logout path has just revoked as a reuse.
   */
  private static final Set<ErrorCode> UNKNOWN = Set.of(ErrorCode.INVALID_REFRESH_TOKEN, ErrorCode.INVALID_TOKEN,
      ErrorCode.SESSION_REVOKED, ErrorCode.INVALID_REQUEST, ErrorCode.REFRESH_TOKEN_REUSED);

  private final OidcClients clients;
  private final Bus bus;
  private final AuditLog audit;
  private final OidcMetrics metrics;

  Revocation(OidcClients clients, Bus bus, AuditLog audit, OidcMetrics metrics) {
    this.clients = clients;
    this.bus = bus;
    this.audit = audit;
    this.metrics = metrics;
  }

  void handle(RoutingContext ctx) {
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    MultiMap form = ctx.request().formAttributes();
    FlowKind.Visit visit = TokenEndpoint.visit(ctx);
    TokenEndpoint.formEncoded(ctx)
        .compose(ok -> clients.authenticate(ctx, appId))
        .compose(client -> {
          String token = form.get("token");
          if (token == null || token.isEmpty() || form.getAll("token").size() > 1) {
            return Future.failedFuture(OAuthError.invalidRequest("token is required, once"));
          }
          // Our access tokens are JWTs; our refresh tokens are opaque and never contain a dot.
          boolean access = token.indexOf('.') >= 0;
          Future<Ended> revoked = access ? revokeAccess(client, token, visit) : revokeRefresh(client, token, visit);
          return revoked.recover(failure -> UNKNOWN.contains(Failures.toApi(failure).code())
                  ? Future.succeededFuture(Ended.NOTHING)
                  : Future.failedFuture(failure))
              .compose(ended -> {
                metrics.revocation(ended.count() > 0 ? "revoked" : "unknown");
                if (ended.count() == 0) {
                  // Nothing changed (a spent token's reuse was audited as such): a row for each would let a client
                  // loop random tokens into its audit log.
                  return Future.<Void>succeededFuture();
                }
                AuditEvent event = AuditEvent.of(REVOKED, client, visit.requestId(), visit.clientIp())
                    .withUser(ended.userId())
                    .with("session_id", ended.sessionId().toString())
                    .with("token_type", access ? "access_token" : "refresh_token")
                    .with("sessions_revoked", ended.count());
                return audit.record(event);
              });
        })
        .onSuccess(done -> ctx.response().setStatusCode(200).putHeader("Cache-Control", "no-store").end())
        .onFailure(failure -> {
          OAuthError error = TokenEndpoint.oauth(failure);
          if (error == null) {
            ctx.fail(failure);
          } else {
            error.answer(ctx);
          }
        });
  }

  /** What a revocation ended: how many sessions (0 or 1), whose, and which. */
  private record Ended(int count, UUID userId, UUID sessionId) {
    static final Ended NOTHING = new Ended(0, null, null);
  }

  private Future<Ended> revokeRefresh(UUID appId, String token, FlowKind.Visit visit) {
    if (token.length() > 128) {
      return Future.failedFuture(new ApiException(ErrorCode.INVALID_REFRESH_TOKEN, "unknown"));
    }
    return bus.request(Bus.TOKEN_LOGOUT, new Logout(appId, token, false, visit.requestId(), visit.clientIp(), REASON))
        .map(loggedOut -> new Ended(loggedOut.revoked(), loggedOut.userId(), loggedOut.sessionId()));
  }

  private Future<Ended> revokeAccess(UUID appId, String token, FlowKind.Visit visit) {
    return bus.request(Bus.TOKEN_INTROSPECT, new Introspect(token, appId, visit.requestId(), visit.clientIp()))
        .compose(live -> {
          UUID sessionId = UUID.fromString(live.session().getString("id"));
          return bus.request(Bus.TOKEN_REVOKE, Revoke.session(appId, sessionId, REASON, null, visit.requestId(),
                  visit.clientIp()))
              .map(revoked -> new Ended(revoked.revoked(), live.userId(), sessionId));
        });
  }
}
