package dev.portcullis.oidc;

import dev.portcullis.app.App;
import dev.portcullis.core.Issuers;
import dev.portcullis.hosted.AuthCodes;
import dev.portcullis.hosted.Flow;
import dev.portcullis.hosted.FlowEngine;
import dev.portcullis.hosted.FlowKind;
import dev.portcullis.hosted.HostedUsers;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * OpenID Connect's authorization code flow on the hosted pages: the flow ends with
 * {@code 302 <redirect_uri>?code=<code>&state=<state>&iss=<issuer>}, the code (the hosted pages' code store: single use, 60 s,
 * PKCE) bound to the app, the redirect_uri and the S256 challenge, and carrying the scope, nonce, auth_time and
 * amr the token endpoint puts in the ID token.
 */
final class OidcKind implements FlowKind {

  static final String NAME = "oidc";

  private final AuthCodes codes;
  private final HostedUsers users;
  private final String gatewayIssuer;

  OidcKind(AuthCodes codes, HostedUsers users, String gatewayIssuer) {
    this.codes = codes;
    this.users = users;
    this.gatewayIssuer = gatewayIssuer;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The kind's data of a flow: everything authorize checked and the code must carry. */
  static JsonObject data(String redirectUri, String state, String codeChallenge, String nonce, String scope) {
    return new JsonObject().put("redirect_uri", redirectUri).put("state", state).put("code_challenge", codeChallenge)
        .put("nonce", nonce).put("scope", scope);
  }

  @Override
  public Future<String> complete(App app, Flow flow, JsonObject user, boolean newUser, Map<String, String> answers,
                                 Visit visit) {
    JsonObject data = flow.data();
    String redirect = data.getString("redirect_uri");
    JsonObject codeData = new JsonObject()
        .put("kind", NAME)
        .put("scope", data.getString("scope"))
        .put("nonce", data.getString("nonce"))
        .put("auth_time", user.getLong(FlowEngine.AUTH_TIME, Instant.now().getEpochSecond()))
        .put("amr", user.getString("amr", "otp"));
    JsonObject publicUser = user.copy();
    publicUser.remove("amr");
    publicUser.remove(FlowEngine.AUTH_TIME);
    return FlowKind.stillRegistered(app, redirect)
        .compose(registered -> users.saveProfile(app.id(), UUID.fromString(user.getString("id")), answers))
        .compose(saved -> codes.issue(new AuthCodes.Grant(app.id(), redirect, data.getString("code_challenge"),
            publicUser, newUser, codeData)))
        // RFC 9207's iss: every app is its own issuer on this host, so a client of several can tell which answered.
        .map(code -> RedirectUris.withParams(redirect, "code", code, "state", data.getString("state"),
            "iss", Issuers.oidc(gatewayIssuer, app.id())));
  }
}
