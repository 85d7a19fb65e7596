package dev.portcullis.token;

import dev.portcullis.app.App;
import dev.portcullis.core.Issuers;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** Signs RFC 9068 access tokens with the app's current key. */
final class AccessTokens {

  private final String issuer;
  private final SigningKeys keys;
  private final TokenMetrics metrics;

  AccessTokens(String issuer, SigningKeys keys, TokenMetrics metrics) {
    this.issuer = issuer;
    this.keys = keys;
    this.metrics = metrics;
  }

  /** The issuer of the app's OpenID Connect sessions' tokens. */
  String oidcIssuer(UUID appId) {
    return Issuers.oidc(issuer, appId);
  }

  /**
   * An access token of the session: its user's roles always, {@code tid} when it is bound to a tenant, and
   * {@code did} and {@code ent} when it is bound to a licensed device.
   */
  Future<String> issue(App app, SessionStore.SessionRow session) {
    return issue(app, session, null);
  }

  /** The same, with {@code iss} = {@code issuerOverride} when not null (an OpenID Connect session's tokens). */
  Future<String> issue(App app, SessionStore.SessionRow session, String issuerOverride) {
    UUID userId = session.userId();
    UUID sessionId = session.id();
    return keys.current(app.id()).map(signer -> {
      long now = System.currentTimeMillis() / 1000;
      JsonObject claims = new JsonObject()
          .put("iss", issuerOverride == null ? issuer : issuerOverride)
          .put("sub", userId.toString())
          .put("aud", app.slug())
          .put("iat", now)
          .put("exp", now + session.accessTokenTtl(app.settings().accessTokenTtl()))
          .put("jti", UUID.randomUUID().toString())
          .put("sid", sessionId.toString())
          .put("app_id", app.id().toString())
          // RFC 9068 requires client_id in an at+jwt: the app is the OAuth client.
          .put("client_id", app.id().toString())
          .put("roles", new JsonArray(session.roles()))
          .mergeIn(session.deviceClaims());
      if (session.tenantId() != null) {
        claims.put("tid", session.tenantId().toString());
      }
      long started = System.nanoTime();
      String token = signer.sign(claims);
      metrics.signed(started);
      return token;
    });
  }
}
