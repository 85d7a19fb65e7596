package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.portcullis.app.App;
import dev.portcullis.core.Secrets;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("A login (TOKEN_ISSUE)")
class TokenIssueTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static JsonObject app;
  private static String appId;

  @BeforeAll
  static void start() {
    app = gateway.createApp(new JsonObject().put("name", "Issue").put("slug", "issue-app")
        .put("settings", new JsonObject().put("access_token_ttl", 120).put("refresh_token_ttl", 3600)));
    appId = app.getString("app_id");
  }

  @Test
  @DisplayName("answers the token response of the contract, with the app's TTLs and the user")
  void tokenResponse() {
    UUID user = TokenFixture.user(gateway, appId, "ada@example.com");
    JsonObject tokens = TokenFixture.login(gateway, appId, user);
    assertEquals("Bearer", tokens.getString("token_type"));
    assertEquals(120, tokens.getInteger("expires_in"));
    assertEquals(3600, tokens.getInteger("refresh_expires_in"));
    assertTrue(tokens.getString("refresh_token").length() >= 43, "at least 256 random bits");
    assertFalse(tokens.getBoolean("new_user"));
    JsonObject userJson = tokens.getJsonObject("user");
    assertEquals(user.toString(), userJson.getString("id"));
    assertEquals("ada@example.com", userJson.getString("email"));
    assertTrue(userJson.containsKey("phone"));
    assertNull(userJson.getValue("phone"));
    assertTrue(userJson.getString("created_at").endsWith("Z"));
  }

  @Test
  @DisplayName("signs an access token whose header is exactly RS256, at+jwt and the app's current kid")
  void header() throws Exception {
    JsonObject tokens = TokenFixture.login(gateway, appId, TokenFixture.user(gateway, appId, "hdr@example.com"));
    JsonObject header = TokenFixture.header(tokens.getString("access_token"));
    assertEquals(new JsonObject().put("alg", "RS256").put("typ", "at+jwt").put("kid", currentKid(appId)), header);
  }

  @Test
  @DisplayName("puts iss, sub, aud, iat, exp, jti, sid, app_id, client_id (RFC 9068) and roles in the token and nothing else")
  void claims() {
    UUID user = TokenFixture.user(gateway, appId, "claims@example.com");
    JsonObject claims = TokenFixture.claims(TokenFixture.login(gateway, appId, user).getString("access_token"));
    assertEquals(Set.of("iss", "sub", "aud", "iat", "exp", "jti", "sid", "app_id", "client_id", "roles"),
        claims.fieldNames());
    assertEquals(appId, claims.getString("client_id"), "client_id is the app id");
    assertEquals(new JsonArray().add("USER"), claims.getJsonArray("roles"), "a new user holds the default role");
    assertEquals(gateway.config().issuer(), claims.getString("iss"));
    assertEquals(user.toString(), claims.getString("sub"));
    assertEquals("issue-app", claims.getString("aud"));
    assertEquals(appId, claims.getString("app_id"));
    assertEquals(120, claims.getLong("exp") - claims.getLong("iat"));
    assertTrue(Math.abs(claims.getLong("iat") - System.currentTimeMillis() / 1000) < 30);
    UUID.fromString(claims.getString("jti"));
    UUID.fromString(claims.getString("sid"));
  }

  @Test
  @DisplayName("issues a token that nimbus-jose-jwt verifies against the published JWKS")
  void verifiesWithStandardLibrary() throws Exception {
    UUID user = TokenFixture.user(gateway, appId, "nimbus@example.com");
    String accessToken = TokenFixture.login(gateway, appId, user).getString("access_token");
    JWKSet jwks = JWKSet.parse(gateway.http().get("/v1/apps/" + appId + "/jwks.json").body());

    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("at+jwt")));
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(jwks)));
    processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>("issue-app",
        new JWTClaimsSet.Builder().issuer(gateway.config().issuer()).subject(user.toString()).build(),
        Set.of("iat", "exp", "jti", "sid", "app_id")));
    JWTClaimsSet claims = processor.process(accessToken, null);
    assertEquals(appId, claims.getStringClaim("app_id"));
  }

  @Test
  @DisplayName("publishes the app's public key as a JWK Set without any private part")
  void jwks() throws Exception {
    ApiResponse response = gateway.http().get("/v1/apps/" + appId + "/jwks.json");
    assertEquals(200, response.status());
    JsonArray keys = response.json().getJsonArray("keys");
    assertEquals(1, keys.size());
    JsonObject key = keys.getJsonObject(0);
    assertEquals(Set.of("kty", "use", "alg", "kid", "n", "e"), key.fieldNames());
    assertEquals("RSA", key.getString("kty"));
    assertEquals("sig", key.getString("use"));
    assertEquals("RS256", key.getString("alg"));
    assertEquals(currentKid(appId), key.getString("kid"));
    assertEquals("AQAB", key.getString("e"));
  }

  @Test
  @DisplayName("answers 404 not_found for the JWKS of an unknown app")
  void jwksOfUnknownApp() {
    ApiResponse unknown = gateway.http().get("/v1/apps/" + UUID.randomUUID() + "/jwks.json");
    assertEquals(404, unknown.status());
    assertEquals("not_found", unknown.error());
    assertEquals(404, gateway.http().get("/v1/apps/not-a-uuid/jwks.json").status());
  }

  @Test
  @DisplayName("stores the refresh token only as its SHA-256, expiring with the session")
  void refreshTokenStoredAsHash() throws Exception {
    UUID user = TokenFixture.user(gateway, appId, "hash@example.com");
    JsonObject tokens = TokenFixture.login(gateway, appId, user);
    String sid = TokenFixture.claims(tokens.getString("access_token")).getString("sid");
    try (Connection connection = gateway.jdbc(); Statement statement = connection.createStatement();
         ResultSet rows = statement.executeQuery("SELECT rt.*, s.expires_at AS session_expires_at, s.user_id "
             + "FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id WHERE s.id = '" + sid + "'")) {
      assertTrue(rows.next());
      assertArrayEquals(Secrets.sha256(tokens.getString("refresh_token")), rows.getBytes("token_hash"));
      assertEquals(rows.getTimestamp("session_expires_at"), rows.getTimestamp("expires_at"));
      assertEquals(user, rows.getObject("user_id"));
      assertNull(rows.getTimestamp("spent_at"));
      assertFalse(rows.next(), "one refresh token per new session");
    }
  }

  @Test
  @DisplayName("lets /auth/me answer the user, the session and the app of the token")
  void me() {
    UUID user = TokenFixture.user(gateway, appId, "me@example.com");
    String accessToken = TokenFixture.login(gateway, appId, user).getString("access_token");
    ApiResponse me = TokenFixture.me(gateway.http(), accessToken);
    assertEquals(200, me.status(), me.body());
    assertEquals(user.toString(), me.json().getJsonObject("user").getString("id"));
    assertEquals("me@example.com", me.json().getJsonObject("user").getString("email"));
    JsonObject session = me.json().getJsonObject("session");
    assertEquals(TokenFixture.claims(accessToken).getString("sid"), session.getString("id"));
    assertTrue(session.getString("expires_at").compareTo(session.getString("created_at")) > 0);
    assertEquals(appId, me.json().getString("app_id"));
  }

  @Test
  @DisplayName("refuses a session in one app for a user of another app")
  void userOfAnotherApp() {
    JsonObject other = gateway.createApp("issue-other");
    UUID stranger = TokenFixture.user(gateway, other.getString("app_id"), "stranger@example.com");
    ReplyException reply = TokenFixture.loginFailure(gateway, appId, stranger);
    assertEquals(400, reply.failureCode());
    assertTrue(reply.getMessage().contains("invalid_request"));
  }

  @Test
  @DisplayName("gives the console app a signing key on its first login, and publishes it")
  void consoleKeyOnFirstUse() throws Exception {
    String console = App.CONSOLE_ID.toString();
    assertEquals(0, gateway.http().get("/v1/apps/" + console + "/jwks.json").json().getJsonArray("keys").size());
    UUID owner = TokenFixture.user(gateway, console, "owner@example.com");
    JsonObject tokens = TokenFixture.login(gateway, console, owner);
    String kid = TokenFixture.header(tokens.getString("access_token")).getString("kid");
    assertEquals(kid, currentKid(console));
    JsonArray published = gateway.http().get("/v1/apps/" + console + "/jwks.json").json().getJsonArray("keys");
    assertEquals(kid, published.getJsonObject(0).getString("kid"));
    assertEquals("portcullis:console", TokenFixture.claims(tokens.getString("access_token")).getString("aud"));
    assertNotEquals(currentKid(appId), kid);
    assertEquals(200, TokenFixture.me(gateway.http(), tokens.getString("access_token")).status());
  }

  private static String currentKid(String app) throws Exception {
    try (Connection connection = gateway.jdbc(); Statement statement = connection.createStatement();
         ResultSet rows = statement.executeQuery("SELECT kid FROM signing_keys WHERE app_id = '" + app
             + "' AND retired_at IS NULL ORDER BY created_at DESC LIMIT 1")) {
      assertTrue(rows.next());
      return rows.getString("kid");
    }
  }

}
