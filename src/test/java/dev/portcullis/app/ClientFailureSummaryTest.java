package dev.portcullis.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.audit.AuditTrail;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.PrometheusText;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failed client authentications write one summary per app, source network and window, whichever process saw
 * them; unknown app ids are remembered process-wide, and forgotten in every process when an app takes the id.
 */
@DisplayName("Failed client authentications: summaries, and the cache of unknown app ids")
@RunsAlone
class ClientFailureSummaryTest {

  private static final int WINDOW_MS = 2_000;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().sibling()
      .config(GatewayConfig.CLIENT_FAILURE_WINDOW_MS, WINDOW_MS)
      .config(GatewayConfig.TRUSTED_PROXIES, "127.0.0.0/8");

  private static TestGateway gateway;
  private static TestGateway sibling;

  private static ApiResponse refresh(TestGateway on, String appId, String secret, String from) {
    return on.http().post("/auth/refresh", new JsonObject().put("app_id", appId).put("app_secret", secret)
        .put("refresh_token", "not-a-token"), "X-Forwarded-For", from);
  }

  private static List<JsonObject> summaries(UUID appId, String network) {
    return AuditTrail.rows(gateway, appId).stream()
        .filter(row -> AuditEvent.CLIENT_AUTH_FAILED.equals(row.getString("type")))
        .filter(row -> network.equals(row.getJsonObject("data").getString("network")))
        .toList();
  }

  private static long total(List<JsonObject> rows) {
    return rows.stream().mapToLong(row -> row.getJsonObject("data").getLong("count")).sum();
  }

  @Test
  @DisplayName("40 failures from one /24 on two processes: one row per app, network and window, with the count")
  void oneSummaryPerAppNetworkAndWindow() {
    JsonObject app = gateway.createApp("failure-summary");
    UUID appId = UUID.fromString(app.getString("app_id"));
    String unknownApp = UUID.randomUUID().toString();
    for (int i = 0; i < 20; i++) {
      assertEquals(401, refresh(gateway, appId.toString(), "guess-" + i, "198.51.100." + (i % 5)).status());
      assertEquals(401, refresh(sibling, appId.toString(), "guess-" + i, "198.51.100.200").status());
    }
    for (int i = 0; i < 3; i++) {
      assertEquals(401, refresh(gateway, appId.toString(), "guess", "203.0.113.9").status());
      assertEquals(401, refresh(sibling, unknownApp, "guess", "192.0.2.44").status());
    }

    Await.until("the summaries of the closed windows", Duration.ofSeconds(30),
        () -> total(summaries(appId, "198.51.100.0/24")) == 40 && total(summaries(appId, "203.0.113.0/24")) == 3
            && total(summaries(AuditEvent.SYSTEM_APP, "192.0.2.0/24")) >= 3);
    List<JsonObject> rows = summaries(appId, "198.51.100.0/24");
    Set<String> windows = new HashSet<>();
    for (JsonObject row : rows) {
      JsonObject data = row.getJsonObject("data");
      assertTrue(windows.add(data.getString("window_start")), "one row per window: " + rows);
      assertEquals(WINDOW_MS, data.getLong("window_ms"));
      assertEquals("invalid_client", data.getString("reason"));
      assertNull(row.getString("request_id"));
      assertTrue(data.getLong("count") >= 1);
    }
    assertTrue(rows.size() <= 40 / 2, "40 failures are summarised, not stored one by one: " + rows.size() + " rows");
    assertTrue(AuditTrail.rows(gateway, appId).stream().noneMatch(row -> row.encode().contains("guess")),
        "no presented secret is stored");
    assertEquals(0, gateway.count("SELECT count(*) FROM audit_events WHERE type = 'client.auth_failed' AND app_id = '"
        + appId + "' AND data->>'count' IS NULL"), "no single-attempt row");
  }

  @Test
  @DisplayName("unknown app ids named on anonymous routes are summarised on the system chain, per network")
  void unknownAppIdsSummarised() {
    for (int i = 0; i < 4; i++) {
      String id = UUID.randomUUID().toString();
      assertEquals(404, gateway.http().get("/oidc/" + id + "/.well-known/openid-configuration",
          "X-Forwarded-For", "192.0.2.71").status());
      assertEquals(404, sibling.http().get("/v1/apps/" + id + "/jwks.json", "X-Forwarded-For", "192.0.2.72").status());
    }
    Await.until("the summary of the unknown ids", Duration.ofSeconds(30), () -> AuditTrail.rows(gateway,
            AuditEvent.SYSTEM_APP).stream()
        .filter(row -> AppIdGuard.UNKNOWN_APP.equals(row.getString("type")))
        .filter(row -> "192.0.2.0/24".equals(row.getJsonObject("data").getString("network")))
        .mapToLong(row -> row.getJsonObject("data").getLong("count")).sum() == 8);
  }

  @Test
  @DisplayName("tokens naming made-up kids are summarised on the system chain, per network, whichever verticle "
      + "verified them")
  void madeUpKidsSummarised() {
    java.util.function.Supplier<String> madeUp = () -> java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString(("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"" + UUID.randomUUID() + "\"}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8)) + ".e30.AAAA";
    for (int i = 0; i < 3; i++) {
      assertEquals(401, gateway.http().get("/auth/me", "Authorization", "Bearer " + madeUp.get(),
          "X-Forwarded-For", "192.0.2.81").status());
      assertEquals(401, sibling.http().get("/v1/apps", "Authorization", "Bearer " + madeUp.get(),
          "X-Forwarded-For", "192.0.2.82").status());
    }
    Await.until("the summary of the made-up kids", Duration.ofSeconds(30), () -> AuditTrail.rows(gateway,
            AuditEvent.SYSTEM_APP).stream()
        .filter(row -> "client.unknown_key".equals(row.getString("type")))
        .filter(row -> "192.0.2.0/24".equals(row.getJsonObject("data").getString("network")))
        .mapToLong(row -> row.getJsonObject("data").getLong("count")).sum() == 6);
  }

  @Test
  @DisplayName("a flood of one random app id for longer than any per-verticle cache costs one database query")
  void unknownAppIdsCostOneQuery() {
    String unknownApp = UUID.randomUUID().toString();
    double loadsBefore = PrometheusText.counter(gateway, "portcullis_app_cache_loads_total");
    double hitsBefore = PrometheusText.counter(gateway, "portcullis_app_cache_unknown_hits_total");
    long end = System.nanoTime() + Duration.ofMillis(1_500).toNanos();
    int asked = 0;
    while (System.nanoTime() < end || asked < 4) {
      assertEquals(401, refresh(gateway, unknownApp, "guess", "192.0.2." + (asked % 200)).status());
      asked++;
    }
    assertEquals(loadsBefore + 1, PrometheusText.counter(gateway, "portcullis_app_cache_loads_total"),
        asked + " attempts over 1.5 s of one unknown id");
    assertTrue(PrometheusText.counter(gateway, "portcullis_app_cache_unknown_hits_total") > hitsBefore);
  }

  @Test
  @DisplayName("an app that takes an id the sibling remembers as unknown works there at once")
  void newAppWorksAtOnceOnTheSibling() throws Exception {
    JsonObject template = gateway.createApp("unknown-then-created");
    UUID fresh = UUID.randomUUID();
    String secret = template.getString("app_secret");
    // Asked until the sibling answers it from its process-wide set of unknown ids (past any per-verticle entry).
    double hits = PrometheusText.counter(sibling, "portcullis_app_cache_unknown_hits_total");
    Await.until("the sibling remembering the id as unknown", Duration.ofSeconds(10), () -> {
      assertEquals("invalid_client", refresh(sibling, fresh.toString(), secret, "192.0.2.7").error());
      return PrometheusText.counter(sibling, "portcullis_app_cache_unknown_hits_total") > hits;
    });
    // What POST /v1/apps does: store the app, then announce it (AppApi.create), here with an id chosen beforehand.
    try (var connection = gateway.jdbc(); var insert = connection.prepareStatement(
        "INSERT INTO apps (id, name, slug, secret_hash, settings) SELECT ?, name || ' copy', slug || '-copy', "
            + "secret_hash, settings FROM apps WHERE id = ?")) {
      insert.setObject(1, fresh);
      insert.setObject(2, UUID.fromString(template.getString("app_id")));
      assertEquals(1, insert.executeUpdate());
    }
    AppDirectory.announce(gateway.vertx(), fresh, "created");
    Await.until("the new app authenticating on the sibling", Duration.ofSeconds(3),
        () -> !"invalid_client".equals(refresh(sibling, fresh.toString(), secret, "192.0.2.7").error()));
    for (int i = 0; i < 4; i++) {
      assertNotEquals("invalid_client", refresh(sibling, fresh.toString(), secret, "192.0.2.7").error());
    }
  }

  @Test
  @DisplayName("beyond the summaries a window holds, new networks share one 'other' summary (a stranger with many "
      + "networks cannot make the flush write an audit event for each, review finding)")
  void networksBeyondTheCapShareOneSummary() throws Exception {
    String script;
    try (java.io.InputStream in = ClientFailures.class.getResourceAsStream("/redis/client-failure.lua")) {
      script = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    String prefix = gateway.redisPrefix() + "cap-test:" + UUID.randomUUID() + ":";
    String hash = prefix + "window";
    for (String network : List.of("198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24", "198.18.0.0/24")) {
      gateway.redis(io.vertx.redis.client.Command.EVAL, script, 3, hash, prefix + "windows", prefix + "ip:" + network,
          "client.auth_failed|app|" + network, 0, 60_000, 60_000, 2, "client.auth_failed|app|"
              + ClientFailures.OTHER_NETWORKS);
    }
    gateway.redis(io.vertx.redis.client.Command.EVAL, script, 3, hash, prefix + "windows", prefix + "ip:again",
        "client.auth_failed|app|198.51.100.0/24", 0, 60_000, 60_000, 2, "client.auth_failed|app|other");
    io.vertx.redis.client.Response fields = gateway.redis(io.vertx.redis.client.Command.HGETALL, hash);
    assertEquals(Set.of("client.auth_failed|app|198.51.100.0/24", "client.auth_failed|app|203.0.113.0/24",
        "client.auth_failed|app|other"), fields.getKeys());
    assertEquals(2, fields.get("client.auth_failed|app|198.51.100.0/24").toInteger(), "a known network still counts");
    assertEquals(2, fields.get("client.auth_failed|app|other").toInteger());
    gateway.redis(io.vertx.redis.client.Command.DEL, hash, prefix + "windows");
  }
}
