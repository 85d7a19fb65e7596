package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.app.AppRepository;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("JWKS and key rotation: cached per app, invalidated everywhere on rotation, rotations limited")
class JwksHardeningTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);

  private static TestGateway gateway;
  private static TestGateway sibling;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start();
    sibling = gateway.sibling();
  }

  @AfterAll
  static void stop() {
    sibling.close();
    gateway.close();
  }

  @Test
  @DisplayName("the JWKS is public and cacheable for at most 300 s, and built once: a database change alone does not show")
  void cachedPerApp() throws Exception {
    String appId = gateway.createApp("jwks-cached").getString("app_id");
    ApiResponse first = gateway.http().get("/v1/apps/" + appId + "/jwks.json");
    assertEquals(200, first.status());
    String cacheControl = first.header("Cache-Control");
    assertTrue(cacheControl.startsWith("public, max-age="), cacheControl);
    assertTrue(Integer.parseInt(cacheControl.substring("public, max-age=".length())) <= 300, cacheControl);
    // Served from memory: a row changed behind the gateway's back is not seen until a key change is announced.
    for (int i = 0; i < 4; i++) {
      gateway.http().get("/v1/apps/" + appId + "/jwks.json");
    }
    try (Connection db = gateway.jdbc(); Statement sql = db.createStatement()) {
      sql.execute("UPDATE signing_keys SET publish_until = now() - interval '1 second', retired_at = now() "
          + "WHERE app_id = '" + appId + "'");
    }
    for (int i = 0; i < 4; i++) {
      assertEquals(first.json(), gateway.http().get("/v1/apps/" + appId + "/jwks.json").json());
    }
  }

  @Test
  @DisplayName("a key rotated in one process is in every process's JWKS at once, and its tokens verify there")
  void rotationReachesEveryProcess() {
    JsonObject app = gateway.createApp("jwks-rotated");
    String appId = app.getString("app_id");
    JsonObject before = sibling.http().get("/v1/apps/" + appId + "/jwks.json").json();
    assertEquals(1, before.getJsonArray("keys").size());
    ApiResponse rotated = gateway.http().post("/v1/apps/" + appId + "/rotate-signing-key", null, ADMIN);
    assertEquals(200, rotated.status(), rotated.body());
    String kid = rotated.json().getString("kid");
    Await.until("the new kid in the other process's JWKS", Duration.ofSeconds(5), () -> sibling.http()
        .get("/v1/apps/" + appId + "/jwks.json").json().getJsonArray("keys").stream()
        .anyMatch(key -> kid.equals(((JsonObject) key).getString("kid"))));
  }

  @Test
  @DisplayName("an unknown app id is 404, and an app created in another process is found there at once")
  void unknownAppsAndCreation() {
    assertEquals(404, sibling.http().get("/v1/apps/" + UUID.randomUUID() + "/jwks.json").status());
    String appId = gateway.createApp("jwks-new-elsewhere").getString("app_id");
    assertEquals(200, sibling.http().get("/v1/apps/" + appId + "/jwks.json").status());
  }

  @Test
  @DisplayName("rotate-signing-key beyond 10 an hour per app is 429 rate_limited with Retry-After")
  void rotationsLimited() {
    String appId = gateway.createApp("jwks-rotations").getString("app_id");
    // the key made with the app counts as one of the hour's keys
    for (int i = 1; i < AppRepository.MAX_ROTATIONS_PER_HOUR; i++) {
      assertEquals(200, gateway.http().post("/v1/apps/" + appId + "/rotate-signing-key", null, ADMIN).status(), "rotation " + i);
    }
    ApiResponse refused = gateway.http().post("/v1/apps/" + appId + "/rotate-signing-key", null, ADMIN);
    assertEquals(429, refused.status(), refused.body());
    assertEquals("rate_limited", refused.error());
    assertTrue(dev.portcullis.audit.AuditTrail.ofRequest(gateway, refused.header("X-Request-Id")).stream()
        .anyMatch(row -> "rate_limited".equals(row.getString("type"))
            && "key_rotations".equals(row.getJsonObject("data").getString("reason"))), "the refusal is audited");
    assertTrue(Long.parseLong(refused.header("Retry-After")) > 3000, refused.header("Retry-After"));
    assertTrue(gateway.http().get("/v1/apps/" + appId + "/jwks.json").json().getJsonArray("keys").size()
        <= AppRepository.MAX_PUBLISHED_KEYS, "published keys are capped");
  }

  @Test
  @DisplayName("keys whose publication ended still count for the hour they were made in (deleting them at the next "
      + "rotation let 24 keys be made in 14 minutes)")
  void rotationsLimitedAfterPublicationEnds() throws Exception {
    String appId = gateway.createApp("jwks-rotations-ended").getString("app_id");
    int half = AppRepository.MAX_ROTATIONS_PER_HOUR / 2;
    for (int i = 1; i < half; i++) {
      assertEquals(200, gateway.http().post("/v1/apps/" + appId + "/rotate-signing-key", null, ADMIN).status());
    }
    try (java.sql.Connection db = gateway.jdbc(); java.sql.Statement sql = db.createStatement()) {
      // As a short access_token_ttl makes it minutes after each rotation.
      sql.executeUpdate("UPDATE signing_keys SET publish_until = now() - interval '1 second' WHERE app_id = '" + appId
          + "' AND retired_at IS NOT NULL");
    }
    int more = 0;
    while (gateway.http().post("/v1/apps/" + appId + "/rotate-signing-key", null, ADMIN).status() == 200) {
      more++;
      assertTrue(more <= AppRepository.MAX_ROTATIONS_PER_HOUR, "rotations never refused");
    }
    assertEquals(AppRepository.MAX_ROTATIONS_PER_HOUR - half, more, "keys made this hour, the ended ones included");
  }

  @Test
  @DisplayName("keys kept only for offline certificates do not count against the published cap: a rotation still goes")
  void certificateKeysDoNotBlockRotation() throws Exception {
    String appId = gateway.createApp("jwks-certificates").getString("app_id");
    try (java.sql.Connection db = gateway.jdbc(); java.sql.PreparedStatement insert = db.prepareStatement(
        "INSERT INTO signing_keys (kid, app_id, public_pem, private_enc, created_at, retired_at, publish_until) "
            + "VALUES (?, ?, 'pem', '\\x00', now() - interval '2 hours', now() - interval '2 hours', "
            + "now() + interval '30 days')")) {
      for (int i = 0; i < AppRepository.MAX_PUBLISHED_KEYS; i++) {
        insert.setString(1, "certificate-kid-" + i);
        insert.setObject(2, UUID.fromString(appId));
        insert.executeUpdate();
      }
    }
    ApiResponse rotated = gateway.http().post("/v1/apps/" + appId + "/rotate-signing-key", null, ADMIN);
    assertEquals(200, rotated.status(), "a suspect key can be rotated away whatever certificates live: " + rotated.body());
  }

  @Test
  @DisplayName("keys kept for offline certificates are capped without refusing a rotation: the oldest leave the JWKS")
  void certificateKeysAreCapped() throws Exception {
    String appId = gateway.createApp("jwks-certificates-capped").getString("app_id");
    int kept = AppRepository.MAX_KEPT_FOR_CERTIFICATES + 5;
    try (java.sql.Connection db = gateway.jdbc(); java.sql.PreparedStatement insert = db.prepareStatement(
        "INSERT INTO signing_keys (kid, app_id, public_pem, private_enc, created_at, retired_at, publish_until) "
            + "SELECT ?, app_id, public_pem, '\\x00', now() - interval '2 days' - ? * interval '1 minute', "
            + "now() - interval '2 days', now() + interval '300 days' FROM signing_keys WHERE app_id = ? "
            + "AND retired_at IS NULL")) {
      for (int i = 0; i < kept; i++) {
        insert.setString(1, "capped-kid-" + i);
        insert.setInt(2, i);
        insert.setObject(3, UUID.fromString(appId));
        insert.executeUpdate();
      }
    }
    ApiResponse rotated = gateway.http().post("/v1/apps/" + appId + "/rotate-signing-key", null, ADMIN);
    assertEquals(200, rotated.status(), "a rotation is never refused for kept keys: " + rotated.body());
    java.util.Set<String> published = new java.util.HashSet<>();
    gateway.http().get("/v1/apps/" + appId + "/jwks.json").json().getJsonArray("keys")
        .forEach(key -> published.add(((io.vertx.core.json.JsonObject) key).getString("kid")));
    for (int i = 0; i < kept; i++) {
      assertEquals(i < AppRepository.MAX_KEPT_FOR_CERTIFICATES, published.contains("capped-kid-" + i),
          "the newest kept keys stay, the oldest leave: capped-kid-" + i + " in " + published);
    }
    assertTrue(published.contains(rotated.json().getString("kid")));
  }
}
