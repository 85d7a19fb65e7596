package dev.portcullis.oidc;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.ClientFailures;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.Bus;
import dev.portcullis.core.Postgres;
import dev.portcullis.hosted.HostedApi;
import dev.portcullis.hosted.HostedUsers;
import dev.portcullis.http.ClientAuthenticator;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.ext.web.RoutingContext;

/**
 * The OpenID Connect provider, one issuer per app ({@code {PORTCULLIS_ISSUER}/oidc/{app_id}}): discovery,
 * authorize (an "oidc" flow on the hosted pages), token, userinfo and revocation. The JWKS is the app's
 * ({@code TokenApi.jwks}).
 */
public final class OidcApi {

  private final Discovery discovery;
  private final Authorize authorize;
  private final TokenEndpoint token;
  private final UserInfoEndpoint userInfo;
  private final Revocation revocation;

  public OidcApi(String gatewayIssuer, Postgres pg, Bus bus, AuditLog audit, AppDirectory apps,
                 ClientAuthenticator authenticator, ClientFailures failures, HostedApi hosted, MeterRegistry registry) {
    OidcMetrics metrics = new OidcMetrics(registry);
    hosted.engine().register(new OidcKind(hosted.codes(), new HostedUsers(pg), gatewayIssuer));
    OidcClients clients = new OidcClients(authenticator);
    OidcSessions sessions = new OidcSessions(pg);
    UserClaims claims = new UserClaims(pg);
    discovery = new Discovery(gatewayIssuer, apps);
    authorize = new Authorize(gatewayIssuer, apps, hosted.engine(), audit, metrics, failures);
    token = new TokenEndpoint(gatewayIssuer, apps, clients, hosted.exchange(), sessions, claims, bus, audit, metrics);
    userInfo = new UserInfoEndpoint(bus, sessions, claims);
    revocation = new Revocation(clients, bus, audit, metrics);
  }

  /** {@code GET /oidc/{app_id}/.well-known/openid-configuration}. */
  public void discovery(RoutingContext ctx) {
    discovery.handle(ctx);
  }

  /** {@code GET /oidc/{app_id}/authorize}. */
  public void authorize(RoutingContext ctx) {
    authorize.handle(ctx);
  }

  /** {@code POST /oidc/{app_id}/token} (application/x-www-form-urlencoded). */
  public void token(RoutingContext ctx) {
    token.handle(ctx);
  }

  /** {@code GET|POST /oidc/{app_id}/userinfo}. */
  public void userInfo(RoutingContext ctx) {
    userInfo.handle(ctx);
  }

  /** {@code POST /oidc/{app_id}/revoke} (application/x-www-form-urlencoded). */
  public void revoke(RoutingContext ctx) {
    revocation.handle(ctx);
  }
}
