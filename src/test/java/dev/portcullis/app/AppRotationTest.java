package dev.portcullis.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Rotating app secrets and signing keys, and deleting apps, across gateway processes")
@RunsAlone
class AppRotationTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().config(SignIns.LIMITS).sibling().auditTap();

  // Set by env before any test of the class runs.
  private static WebhookReceiver inbox;
  private static TestGateway gateway;
  private static TestGateway sibling;
  private static AuditTap audit;

  private static JsonObject newApp() {
    return gateway.createApp("rot-" + UUID.randomUUID().toString().substring(0, 8));
  }

  /** True when the gateway lets these credentials through client authentication (whatever the route then says). */
  private static boolean authenticates(TestGateway on, String appId, String secret) {
    return authenticated(on.http().post("/auth/refresh", refreshBody(appId, secret)));
  }

  /**
   * How many of n concurrent attempts get through client authentication. Concurrent requests travel on
   * separate connections, which the gateway spreads over its HTTP verticles, each with its own app cache.
   */
  private static long authenticatedConcurrently(TestGateway on, String appId, String secret, int n) {
    List<CompletableFuture<ApiResponse>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(on.http().postAsync("/auth/refresh", refreshBody(appId, secret)));
    }
    return calls.stream().map(CompletableFuture::join).filter(AppRotationTest::authenticated).count();
  }

  private static JsonObject refreshBody(String appId, String secret) {
    return new JsonObject().put("app_id", appId).put("app_secret", secret).put("refresh_token", "not-a-token");
  }

  private static boolean authenticated(ApiResponse response) {
    return !(response.status() == 401 && "invalid_client".equals(response.error()));
  }

  @Test
  @DisplayName("after rotate-secret the new secret works and the old one is refused at once by this process")
  void rotateSecretHere() {
    JsonObject app = newApp();
    String id = app.getString("app_id");
    String old = app.getString("app_secret");
    assertEquals(8, authenticatedConcurrently(gateway, id, old, 8), "every HTTP verticle has the old secret cached");
    ApiResponse rotated = gateway.http().post("/v1/apps/" + id + "/rotate-secret", null, ADMIN);
    assertEquals(200, rotated.status(), rotated.body());
    String fresh = rotated.json().getString("app_secret");
    assertEquals(1, rotated.json().size(), "only the secret: " + rotated.body());
    assertNotEquals(old, fresh);
    assertEquals(0, authenticatedConcurrently(gateway, id, old, 8), "the old secret is dead on every HTTP verticle");
    assertEquals(8, authenticatedConcurrently(gateway, id, fresh, 8));
    JsonObject event = audit.one(AuditEvent.APP_SECRET_ROTATED, id);
    assertFalse(event.encode().contains(fresh));
    assertFalse(event.encode().contains(old));
  }

  @Test
  @DisplayName("a rotated secret is refused by a second gateway process within one second")
  void rotatedSecretRefusedBySibling() {
    JsonObject app = newApp();
    String id = app.getString("app_id");
    String old = app.getString("app_secret");
    assertTrue(authenticates(sibling, id, old), "the sibling has the app cached with its old secret");

    String fresh = gateway.http().post("/v1/apps/" + id + "/rotate-secret", null, ADMIN).json().getString("app_secret");

    Await.until("the sibling refuses the old secret", Duration.ofSeconds(1), () -> !authenticates(sibling, id, old));
    assertTrue(authenticates(sibling, id, fresh));
  }

  @Test
  @DisplayName("a deleted app is refused by a second gateway process within one second")
  void deletedAppRefusedBySibling() {
    JsonObject app = newApp();
    String id = app.getString("app_id");
    String secret = app.getString("app_secret");
    assertTrue(authenticates(sibling, id, secret));

    assertEquals(200, gateway.http().delete("/v1/apps/" + id, ADMIN).status());

    Await.until("the sibling refuses the deleted app", Duration.ofSeconds(1), () -> !authenticates(sibling, id, secret));
  }

  @Test
  @DisplayName("rotate-signing-key answers the new key, which becomes current; the old one is retired but published")
  void rotateSigningKey() throws Exception {
    JsonObject app = newApp();
    String id = app.getString("app_id");
    OffsetDateTime before = OffsetDateTime.now();
    ApiResponse rotated = gateway.http().post("/v1/apps/" + id + "/rotate-signing-key", null, ADMIN);
    assertEquals(200, rotated.status(), rotated.body());
    String kid = rotated.json().getString("kid");
    String pem = rotated.json().getString("jwt_public_key");
    assertTrue(pem.startsWith("-----BEGIN PUBLIC KEY-----"));
    assertNotEquals(app.getString("jwt_public_key"), pem);
    assertEquals(pem, gateway.http().get("/v1/apps/" + id, ADMIN).json().getString("jwt_public_key"));

    List<KeyRow> keys = keys(id);
    assertEquals(2, keys.size());
    KeyRow current = keys.get(0);
    KeyRow retired = keys.get(1);
    assertEquals(kid, current.kid());
    assertNull(current.retiredAt());
    assertNull(current.publishUntil());
    assertNotNull(retired.retiredAt());
    long published = Duration.between(retired.retiredAt(), retired.publishUntil()).toSeconds();
    assertEquals(900 + AppRepository.KEY_PUBLISH_MARGIN_SECONDS, published, "access_token_ttl plus the margin");
    assertFalse(retired.retiredAt().isBefore(before.minusSeconds(5)));

    assertEquals(kid, audit.one(AuditEvent.APP_KEY_ROTATED, id).getJsonObject("data").getString("kid"));
  }

  @Test
  @DisplayName("a change whose announcement was lost while the relay's subscription was down shows in the JWKS once "
      + "it is up again, not at the cache's expiry a minute later")
  void lostAnnouncementShowsAfterResubscribing() throws Exception {
    String id = newApp().getString("app_id");
    String jwks = "/v1/apps/" + id + "/jwks.json";
    for (int i = 0; i < 8; i++) {
      assertEquals(200, gateway.http().get(jwks).status(), "every HTTP verticle caches the JWKS");
    }
    // A deletion that announced nothing: the state an announcement lost in transit leaves behind.
    try (Connection db = gateway.jdbc();
         PreparedStatement delete = db.prepareStatement("UPDATE apps SET deleted_at = now() WHERE id = ?")) {
      delete.setObject(1, UUID.fromString(id));
      assertEquals(1, delete.executeUpdate());
    }
    assertEquals(200, gateway.http().get(jwks).status(), "unannounced, the cached JWKS is still served");

    String name = dev.portcullis.core.RedisSubscription.clientName(gateway.redisPrefix() + "app-changed");
    int dropped = 0;
    for (String client : gateway.redis(io.vertx.redis.client.Command.CLIENT, "LIST", "TYPE", "pubsub").toString()
        .split("\n")) {
      if (client.contains(" name=" + name + " ")) {
        String clientId = client.substring(client.indexOf("id=") + 3, client.indexOf(' '));
        dropped += gateway.redis(io.vertx.redis.client.Command.CLIENT, "KILL", "ID", clientId).toInteger();
      }
    }
    assertTrue(dropped > 0, "the relays' subscriptions were found and closed");

    Await.until("every HTTP verticle answers 404 for the deleted app", Duration.ofSeconds(10), () -> {
      for (int i = 0; i < 8; i++) {
        if (gateway.http().get(jwks).status() != 404) {
          return false;
        }
      }
      return true;
    });
  }

  @Test
  @DisplayName("after a rotation the JWKS holds both keys, new tokens use the new key and old tokens still verify")
  void jwksAfterRotation() throws Exception {
    JsonObject app = newApp();
    String id = app.getString("app_id");
    String before = SignIns.user(gateway, inbox, app, "before@example.com").getString("access_token");
    String oldKid = SignedJWT.parse(before).getHeader().getKeyID();

    String newKid = gateway.http().post("/v1/apps/" + id + "/rotate-signing-key", null, ADMIN).json().getString("kid");

    JWKSet jwks = JWKSet.parse(gateway.http().get("/v1/apps/" + id + "/jwks.json").body());
    assertEquals(List.of(newKid, oldKid), jwks.getKeys().stream().map(JWK::getKeyID).toList());
    assertTrue(SignedJWT.parse(before).verify(new RSASSAVerifier((RSAKey) jwks.getKeyByKeyId(oldKid))));
    assertEquals(200, gateway.http().get("/auth/me", Http.bearer(before)).status(), "the old token still verifies");

    for (int i = 0; i < 4; i++) {
      // The very next tokens, on whichever token verticle: the rotation's announcement dropped every cached key.
      SignedJWT after = SignedJWT.parse(SignIns.user(gateway, inbox, app, "after-" + i + "@example.com")
          .getString("access_token"));
      assertEquals(newKid, after.getHeader().getKeyID(), "token " + i);
      assertTrue(after.verify(new RSASSAVerifier((RSAKey) jwks.getKeyByKeyId(newKid))));
    }
  }

  @Test
  @DisplayName("after access_token_ttl is shortened, a rotated key stays published as long as tokens of the old TTL live")
  void shortenedTtlKeepsOldKeyPublished() throws Exception {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Long").put("slug", "long-" + UUID.randomUUID()
        .toString().substring(0, 8)).put("settings", new JsonObject().put("access_token_ttl", 86_400)));
    String id = app.getString("app_id");
    ApiResponse patched = gateway.http().patch("/v1/apps/" + id,
        new JsonObject().put("settings", new JsonObject().put("access_token_ttl", 60)), ADMIN);
    assertEquals(200, patched.status(), patched.body());
    assertEquals(200, gateway.http().post("/v1/apps/" + id + "/rotate-signing-key", null, ADMIN).status());

    KeyRow retired = keys(id).get(1);
    long published = Duration.between(retired.retiredAt(), retired.publishUntil()).toSeconds();
    assertTrue(published >= 86_400, "published " + published + " s: tokens issued before the PATCH live a day");
  }

  @Test
  @DisplayName("concurrent rotations leave exactly one current key and every other key retired with an end of publication")
  void concurrentRotations() throws Exception {
    JsonObject app = newApp();
    String id = app.getString("app_id");
    List<CompletableFuture<ApiResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      TestGateway target = i % 2 == 0 ? gateway : sibling;
      calls.add(target.http().sendAsync("POST", "/v1/apps/" + id + "/rotate-signing-key", null, ADMIN));
    }
    for (CompletableFuture<ApiResponse> call : calls) {
      assertEquals(200, call.get().status(), call.get().body());
    }
    List<KeyRow> keys = keys(id);
    assertEquals(5, keys.size());
    assertEquals(1, keys.stream().filter(key -> key.retiredAt() == null).count(), keys.toString());
    assertTrue(keys.stream().allMatch(key -> (key.retiredAt() == null) == (key.publishUntil() == null)), keys.toString());
  }

  @Test
  @DisplayName("the console app's secret and key cannot be rotated through the API")
  void consoleNotRotated() {
    assertEquals(404, gateway.http().post("/v1/apps/" + App.CONSOLE_ID + "/rotate-secret", null, ADMIN).status());
    assertEquals(404, gateway.http().post("/v1/apps/" + App.CONSOLE_ID + "/rotate-signing-key", null, ADMIN).status());
  }

  @Test
  @DisplayName("secret and key rotations are counted in the metrics")
  void rotationsCounted() {
    JsonObject app = newApp();
    String id = app.getString("app_id");
    gateway.http().post("/v1/apps/" + id + "/rotate-secret", null, ADMIN);
    gateway.http().post("/v1/apps/" + id + "/rotate-signing-key", null, ADMIN);
    String metrics = gateway.management().get("/metrics").body();
    assertTrue(metrics.contains("portcullis_app_secret_rotations_total"), "secret rotations");
    assertTrue(metrics.contains("portcullis_app_signing_key_rotations_total"), "key rotations");
  }

  private record KeyRow(String kid, OffsetDateTime retiredAt, OffsetDateTime publishUntil) {
  }

  /** The app's signing keys, newest first. */
  private static List<KeyRow> keys(String appId) throws Exception {
    try (Connection db = gateway.jdbc();
         PreparedStatement query = db.prepareStatement(
             "SELECT kid, retired_at, publish_until FROM signing_keys WHERE app_id = ?::uuid ORDER BY created_at DESC, retired_at NULLS FIRST")) {
      query.setString(1, appId);
      List<KeyRow> keys = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          keys.add(new KeyRow(rows.getString(1), rows.getObject(2, OffsetDateTime.class),
              rows.getObject(3, OffsetDateTime.class)));
        }
      }
      return keys;
    }
  }
}
