package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Keycloak's OpenID Connect grants for the same work: password (to log in), refresh_token, client_credentials. */
final class Keycloak extends Flows {

  private final Http http;
  private final String tokenPath;
  private final String clientId;
  private final String clientSecret;
  private final String username;
  private final String password;

  Keycloak(Http http, Stats stats, String realm, String clientId, String clientSecret, String username, String password) {
    super(stats);
    this.http = http;
    this.tokenPath = "/realms/" + realm + "/protocol/openid-connect/token";
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.username = username;
    this.password = password;
  }

  /** A new user session (scope openid, so the access token is good for userinfo). */
  Future<Session> login() {
    String form = client() + "&grant_type=password&scope=openid&username=" + enc(username) + "&password=" + enc(password);
    return expectOk("kc-password", System.nanoTime(), http.postForm(tokenPath, form)).map(Keycloak::session);
  }

  Future<Void> refresh(Session session) {
    String form = client() + "&grant_type=refresh_token&refresh_token=" + enc(session.refreshToken);
    return expectOk("kc-refresh", System.nanoTime(), http.postForm(tokenPath, form))
        .map(tokens -> {
          session.accessToken = tokens.getString("access_token");
          session.refreshToken = tokens.getString("refresh_token");
          return null;
        });
  }

  Future<Void> clientCredentials() {
    String form = client() + "&grant_type=client_credentials";
    return expectOk("kc-client-credentials", System.nanoTime(), http.postForm(tokenPath, form)).mapEmpty();
  }

  private String client() {
    return "client_id=" + enc(clientId) + "&client_secret=" + enc(clientSecret);
  }

  private static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static Session session(JsonObject tokens) {
    return new Session(tokens.getString("access_token"), tokens.getString("refresh_token"));
  }
}
