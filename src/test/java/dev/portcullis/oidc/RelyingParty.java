package dev.portcullis.oidc;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.AuthenticationResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationResponseParser;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * A web app that signs its users in with OpenID Connect, written the way any nimbus-based relying party is:
 * {@code /login} sends the browser to the discovered authorization endpoint (state, nonce, PKCE S256); the
 * callback checks state, trades the code, validates the ID token against the discovered JWKS and shows who signed
 * in ({@code <p id="signed-in">email|name</p>}), or what went wrong ({@code <p id="failed">}). It runs on the JDK's
 * HTTP server, whose threads may block on the token request.
 */
final class RelyingParty implements AutoCloseable {

  /** What one sign-in keeps between the redirect and the callback, keyed by its state. */
  private record Pending(CodeVerifier verifier, Nonce nonce) {
  }

  private final HttpServer server;
  private final OIDCProviderMetadata provider;
  private final ClientID clientId;
  private final Secret secret;
  private final String scope;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  RelyingParty(String issuer, String clientId, String secret, String scope) throws Exception {
    this.provider = OIDCProviderMetadata.resolve(new Issuer(issuer));
    this.clientId = new ClientID(clientId);
    this.secret = new Secret(secret);
    this.scope = scope;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.createContext("/login", this::login);
    server.createContext("/callback", this::callback);
    server.start();
  }

  /** The redirect URI to register (http is allowed on localhost). */
  String callbackUrl() {
    return "http://localhost:" + server.getAddress().getPort() + "/callback";
  }

  String loginUrl() {
    return "http://localhost:" + server.getAddress().getPort() + "/login";
  }

  private void login(HttpExchange exchange) throws IOException {
    CodeVerifier verifier = new CodeVerifier();
    Nonce nonce = new Nonce();
    State state = new State();
    pending.put(state.getValue(), new Pending(verifier, nonce));
    URI authorize = new AuthenticationRequest.Builder(new ResponseType("code"), Scope.parse(scope), clientId,
        URI.create(callbackUrl()))
        .endpointURI(provider.getAuthorizationEndpointURI())
        .state(state)
        .nonce(nonce)
        .codeChallenge(verifier, CodeChallengeMethod.S256)
        .build()
        .toURI();
    exchange.getResponseHeaders().add("Location", authorize.toString());
    exchange.sendResponseHeaders(302, -1);
    exchange.close();
  }

  private void callback(HttpExchange exchange) throws IOException {
    String html;
    try {
      AuthenticationResponse response = AuthenticationResponseParser.parse(
          URI.create(callbackUrl() + "?" + exchange.getRequestURI().getRawQuery()));
      Pending started = response.getState() == null ? null : pending.remove(response.getState().getValue());
      if (started == null) {
        throw new IllegalStateException("unknown state");
      }
      if (!response.indicatesSuccess()) {
        throw new IllegalStateException(response.toErrorResponse().getErrorObject().getCode());
      }
      TokenResponse tokens = OIDCTokenResponseParser.parse(new TokenRequest(provider.getTokenEndpointURI(),
          new ClientSecretBasic(clientId, secret), new AuthorizationCodeGrant(
              response.toSuccessResponse().getAuthorizationCode(), URI.create(callbackUrl()), started.verifier()))
          .toHTTPRequest().send());
      if (!tokens.indicatesSuccess()) {
        throw new IllegalStateException(tokens.toErrorResponse().getErrorObject().getCode());
      }
      OIDCTokenResponse oidc = (OIDCTokenResponse) tokens.toSuccessResponse();
      IDTokenValidator validator = new IDTokenValidator(provider.getIssuer(), clientId, JWSAlgorithm.RS256,
          provider.getJWKSetURI().toURL());
      IDTokenClaimsSet claims = validator.validate(oidc.getOIDCTokens().getIDToken(), started.nonce());
      html = "<p id=\"signed-in\">" + claims.getStringClaim("email") + "|" + claims.getStringClaim("name") + "</p>";
    } catch (Exception failed) {
      html = "<p id=\"failed\">" + failed.getMessage() + "</p>";
    }
    byte[] body = ("<!doctype html><title>RP</title>" + html).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
    exchange.sendResponseHeaders(200, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
