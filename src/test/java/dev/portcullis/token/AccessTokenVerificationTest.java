package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.portcullis.core.Bus;
import dev.portcullis.core.messages.TokenMessages.Introspect;
import dev.portcullis.core.messages.TokenMessages.Introspected;
import dev.portcullis.core.MasterKey;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Access token verification")
class AccessTokenVerificationTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static String appId;
  private static String otherAppId;
  private static String genuine;
  private static JsonObject genuineClaims;
  private static String kid;
  private static PrivateKey appKey;
  private static KeyPair attackerKey;

  @BeforeAll
  static void start() throws Exception {
    appId = gateway.createApp("verify-app").getString("app_id");
    otherAppId = gateway.createApp("verify-other").getString("app_id");
    genuine = TokenFixture.login(gateway, appId, TokenFixture.user(gateway, appId, "v@example.com"))
        .getString("access_token");
    genuineClaims = TokenFixture.claims(genuine);
    kid = TokenFixture.header(genuine).getString("kid");
    appKey = privateKeyOf(kid);
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    attackerKey = generator.generateKeyPair();
  }

  @Test
  @DisplayName("accepts the genuine token, and the same claims re-signed with the app's own key")
  void genuineToken() throws Exception {
    assertEquals(200, TokenFixture.me(gateway.http(), genuine).status());
    assertEquals(200, TokenFixture.me(gateway.http(), rs256(appKey, kid, genuineClaims)).status());
  }

  @Test
  @DisplayName("the answer encoded once for a session is written whole to every call that reuses it")
  void reusedAnswer() {
    ApiResponse first = TokenFixture.me(gateway.http(), genuine);
    assertEquals(200, first.status());
    assertEquals(genuineClaims.getString("sub"), first.json().getJsonObject("user").getString("id"));
    for (int i = 0; i < 40; i++) {
      ApiResponse again = TokenFixture.me(gateway.http(), genuine);
      assertEquals(200, again.status());
      assertEquals(first.body(), again.body());
    }
  }

  @Test
  @DisplayName("refuses an unsigned token with alg none")
  void algNone() {
    String header = segment(new JsonObject().put("alg", "none").put("typ", "at+jwt").put("kid", kid));
    String unsigned = header + "." + segment(genuineClaims);
    assertInvalid(unsigned + ".");
    assertInvalid(unsigned);
    assertInvalid(unsigned + "." + genuine.split("\\.")[2]);
  }

  @Test
  @DisplayName("refuses HS256 keyed with the app's public key")
  void hs256WithPublicKey() throws Exception {
    String publicPem = publicPemOf(kid);
    for (byte[] secret : new byte[][] {publicPem.getBytes(StandardCharsets.US_ASCII), derOf(publicPem)}) {
      SignedJWT forged = new SignedJWT(header(JWSAlgorithm.HS256, kid).build(), JWTClaimsSet.parse(genuineClaims.encode()));
      forged.sign(new MACSigner(secret));
      assertInvalid(forged.serialize());
    }
  }

  @Test
  @DisplayName("refuses a genuine token whose payload was changed")
  void tamperedPayload() {
    String[] parts = genuine.split("\\.");
    JsonObject changed = genuineClaims.copy().put("exp", genuineClaims.getLong("exp") + 86_400);
    assertInvalid(parts[0] + "." + segment(changed) + "." + parts[2]);
    String otherUser = genuineClaims.copy().put("sub", UUID.randomUUID().toString()).encode();
    assertInvalid(parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(otherUser.getBytes(StandardCharsets.UTF_8)) + "." + parts[2]);
  }

  @Test
  @DisplayName("accepts a signature in its one canonical base64url spelling only (the last character's spare bits set "
      + "is another spelling of the same signature)")
  void nonCanonicalSignature() {
    String[] parts = genuine.split("\\.");
    String signature = parts[2];
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int last = alphabet.indexOf(signature.charAt(signature.length() - 1));
    // 256 bytes fill 341 characters and 2 bits of the 342nd: its 4 low bits are spare, and zero when canonical.
    String respelled = signature.substring(0, signature.length() - 1) + alphabet.charAt(last | 0b01);
    assertTrue(java.util.Arrays.equals(Base64.getUrlDecoder().decode(signature), Base64.getUrlDecoder().decode(respelled)),
        "the same signature bytes");
    assertInvalid(parts[0] + "." + parts[1] + "." + respelled);
  }

  @Test
  @DisplayName("refuses a token signed with a key of unknown kid")
  void unknownKid() throws Exception {
    assertInvalid(rs256(attackerKey.getPrivate(), "attacker-key-0001", genuineClaims));
  }

  @Test
  @DisplayName("never follows jku, x5u or an embedded jwk: a token signed by another key stays refused")
  void keyHeadersNeverFollowed() throws Exception {
    AtomicInteger fetched = new AtomicInteger();
    HttpServer attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    attacker.createContext("/", exchange -> {
      fetched.incrementAndGet();
      exchange.sendResponseHeaders(500, -1);
      exchange.close();
    });
    attacker.start();
    try {
      URI url = URI.create("http://127.0.0.1:" + attacker.getAddress().getPort() + "/jwks.json");
      RSAKey embedded = new RSAKey.Builder((RSAPublicKey) attackerKey.getPublic()).keyID(kid).build();
      for (JWSHeader header : new JWSHeader[] {
          header(JWSAlgorithm.RS256, kid).jwkURL(url).build(),
          header(JWSAlgorithm.RS256, kid).x509CertURL(url).build(),
          header(JWSAlgorithm.RS256, kid).jwk(embedded).build(),
          header(JWSAlgorithm.RS256, "attacker-key-0002").jwkURL(url).jwk(embedded).build()}) {
        SignedJWT forged = new SignedJWT(header, JWTClaimsSet.parse(genuineClaims.encode()));
        forged.sign(new RSASSASigner(attackerKey.getPrivate()));
        assertInvalid(forged.serialize());
      }
    } finally {
      attacker.stop(0);
    }
    assertEquals(0, fetched.get(), "no key URL was fetched");
  }

  @Test
  @DisplayName("refuses a token for another audience or from another issuer, even signed with the app's key")
  void wrongAudienceOrIssuer() throws Exception {
    assertInvalid(rs256(appKey, kid, genuineClaims.copy().put("aud", "verify-other")));
    assertInvalid(rs256(appKey, kid, genuineClaims.copy().put("aud", new JsonArray().add("verify-other"))));
    assertInvalid(rs256(appKey, kid, genuineClaims.copy().put("iss", "https://evil.example")));
    assertInvalid(rs256(appKey, kid, genuineClaims.copy().put("app_id", otherAppId)));
  }

  @Test
  @DisplayName("refuses a token expired for longer than the clock leeway")
  void expired() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    ApiResponse response = TokenFixture.me(gateway.http(), rs256(appKey, kid, genuineClaims.copy()
        .put("iat", now - 1000).put("exp", now - AccessTokenVerifier.EXPIRY_LEEWAY_SECONDS - 5)));
    assertEquals(401, response.status());
    assertEquals("invalid_token", response.error());
  }

  /** API.md: expired is 401; only the second exp names is forgiven (h48: 30 s were). */
  @Test
  @DisplayName("refuses a token whose exp passed two seconds ago, and accepts one whose exp has not passed")
  void expiryLeeway() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    ApiResponse expired = TokenFixture.me(gateway.http(),
        rs256(appKey, kid, genuineClaims.copy().put("iat", now - 900).put("exp", now - 2)));
    assertEquals(401, expired.status(), expired.body());
    assertEquals("invalid_token", expired.error());
    ApiResponse current = TokenFixture.me(gateway.http(),
        rs256(appKey, kid, genuineClaims.copy().put("iat", now - 900).put("exp", now + 1)));
    assertEquals(200, current.status(), current.body());
  }

  @Test
  @DisplayName("a token accepted before is refused once it expires (past the leeway), although it was verified and "
      + "remembered")
  void expiresAfterBeingAccepted() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    long exp = now - AccessTokenVerifier.EXPIRY_LEEWAY_SECONDS + 2;
    String shortLived = rs256(appKey, kid, genuineClaims.copy().put("iat", now - 60).put("exp", exp));
    assertEquals(200, TokenFixture.me(gateway.http(), shortLived).status());
    assertEquals(200, TokenFixture.me(gateway.http(), shortLived).status());
    Await.until("the remembered token to expire", Duration.ofSeconds(6),
        () -> "invalid_token".equals(TokenFixture.me(gateway.http(), shortLived).error()));
    assertTrue(System.currentTimeMillis() / 1000 >= exp + AccessTokenVerifier.EXPIRY_LEEWAY_SECONDS,
        "refused only once exp and the leeway have passed");
  }

  @Test
  @DisplayName("refuses a token signed by another app's key, claiming this app")
  void anotherAppsKey() throws Exception {
    String otherToken = TokenFixture.login(gateway, otherAppId, TokenFixture.user(gateway, otherAppId, "o@example.com"))
        .getString("access_token");
    String otherKid = TokenFixture.header(otherToken).getString("kid");
    assertInvalid(rs256(privateKeyOf(otherKid), otherKid, genuineClaims));
  }

  @Test
  @DisplayName("refuses a token whose typ is not at+jwt, and anything that is not a JWT")
  void notAnAccessToken() throws Exception {
    SignedJWT plainJwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).keyID(kid).build(),
        JWTClaimsSet.parse(genuineClaims.encode()));
    plainJwt.sign(new RSASSASigner(appKey));
    assertInvalid(plainJwt.serialize());
    assertInvalid("not-a-token");
    assertInvalid("a.b.c");
    ApiResponse missing = gateway.http().get("/auth/me");
    assertEquals(401, missing.status());
    assertEquals("invalid_token", missing.error());
  }

  @Test
  @DisplayName("TOKEN_INTROSPECT answers for a token of the expected app and refuses one of another app")
  void introspectOverTheBus() throws Exception {
    JsonObject me = gateway.vertx().eventBus()
        .<Introspected>request(Bus.TOKEN_INTROSPECT.name(),
            new Introspect(genuine, UUID.fromString(appId), "test", null))
        .await(10, TimeUnit.SECONDS).body().toJson();
    assertEquals(genuineClaims.getString("sid"), me.getJsonObject("session").getString("id"));
    try {
      gateway.vertx().eventBus()
          .request(Bus.TOKEN_INTROSPECT.name(), new Introspect(genuine, UUID.fromString(otherAppId), "test", null))
          .await(10, TimeUnit.SECONDS);
      throw new AssertionError("a token of another app was accepted");
    } catch (ReplyException expected) {
      assertEquals(401, expected.failureCode());
    }
  }

  private static void assertInvalid(String token) {
    ApiResponse response = TokenFixture.me(gateway.http(), token);
    assertEquals(401, response.status(), response.body());
    assertEquals("invalid_token", response.error());
  }

  private static JWSHeader.Builder header(JWSAlgorithm alg, String keyId) {
    return new JWSHeader.Builder(alg).type(new JOSEObjectType("at+jwt")).keyID(keyId);
  }

  private static String rs256(PrivateKey key, String keyId, JsonObject claims) throws Exception {
    SignedJWT jwt = new SignedJWT(header(JWSAlgorithm.RS256, keyId).build(), JWTClaimsSet.parse(claims.encode()));
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  private static String segment(JsonObject json) {
    return Base64URL.encode(json.encode()).toString();
  }

  /** Reads an app's sealed private key from Postgres and opens it with the test master key. */
  private static PrivateKey privateKeyOf(String keyId) throws Exception {
    byte[] sealed = column("private_enc", keyId);
    MasterKey masterKey = new MasterKey(Base64.getDecoder().decode(TestGateway.TEST_MASTER_KEY));
    String pem = new String(masterKey.decrypt(sealed, keyId), StandardCharsets.US_ASCII);
    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(derOf(pem)));
  }

  private static String publicPemOf(String keyId) throws Exception {
    return new String(column("public_pem", keyId), StandardCharsets.US_ASCII);
  }

  private static byte[] column(String column, String keyId) throws Exception {
    try (Connection connection = gateway.jdbc(); Statement statement = connection.createStatement();
         ResultSet rows = statement.executeQuery("SELECT " + column + " FROM signing_keys WHERE kid = '" + keyId + "'")) {
      rows.next();
      return rows.getBytes(1);
    }
  }

  private static byte[] derOf(String pem) {
    return Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
  }
}
