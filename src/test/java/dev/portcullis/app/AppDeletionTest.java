package dev.portcullis.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.Issue;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Deleting an app: gone at once for every caller, its rows removed in the background")
class AppDeletionTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);
  /** Enough that one cascading DELETE outlasts the backend timeout below (about 2 s here). */
  private static final int BULK_USERS = 25_000;
  private static final List<String> APP_TABLES = List.of("users", "sessions", "licenses", "license_policies",
      "tenants", "conversations", "roles", "signing_keys");

  private static TestGateway gateway;
  private static AuditTap audit;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(new JsonObject()
        .put(GatewayConfig.BACKEND_TIMEOUT_MS, 1_000)
        .put(GatewayConfig.HOUSEKEEPING_INTERVAL_MS, 200));
    audit = new AuditTap(gateway);
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  @DisplayName("a large app answers 200 within the backend timeout, is 404 with its slug free at once, refuses its "
      + "credentials and tokens, and housekeeping removes every row of it while another app keeps its own")
  void largeApp() throws Exception {
    JsonObject app = gateway.createApp("deleted-large");
    String appId = app.getString("app_id");
    UUID user = user(appId, "member@example.com");
    JsonObject tokens = login(appId, user);
    String tenant = created(http().post("/v1/apps/" + appId + "/tenants",
        new JsonObject().put("name", "Team").put("slug", "team"), ADMIN), "tenant_id");
    assertEquals(200, http().put("/v1/apps/" + appId + "/tenants/" + tenant + "/members/" + user,
        new JsonObject().put("roles", new JsonArray().add("USER")), ADMIN).status());
    String policy = created(http().post("/v1/apps/" + appId + "/license-policies",
        new JsonObject().put("name", "Pro").put("max_devices", 2), ADMIN), "policy_id");
    created(http().post("/v1/apps/" + appId + "/licenses",
        new JsonObject().put("policy_id", policy).put("user_id", user.toString()), ADMIN), "license_id");
    update("INSERT INTO conversations (id, app_id, user_key, return_url, query, status, expires_at) "
        + "VALUES (gen_random_uuid(), ?, 'u', 'https://x/cb', '{}', 'CREATED', now() + interval '10 minutes')",
        UUID.fromString(appId));
    update("WITH u AS (INSERT INTO users (id, app_id, email) SELECT gen_random_uuid(), ?, 'bulk' || g || '@example.com' "
        + "FROM generate_series(1, " + BULK_USERS + ") g RETURNING id, app_id), "
        + "s AS (INSERT INTO sessions (id, app_id, user_id, expires_at) SELECT gen_random_uuid(), app_id, id, "
        + "now() + interval '1 day' FROM u RETURNING id, expires_at) "
        + "INSERT INTO refresh_tokens (token_hash, session_id, expires_at) "
        + "SELECT sha256(id::text::bytea), id, expires_at FROM s", UUID.fromString(appId));
    JsonObject kept = gateway.createApp("deleted-large-neighbour");
    String keptId = kept.getString("app_id");
    UUID keptUser = user(keptId, "member@example.com");
    JsonObject keptTokens = login(keptId, keptUser);

    ApiResponse deleted = http().delete("/v1/apps/" + appId, ADMIN);
    assertEquals(200, deleted.status(), deleted.body());
    assertEquals(new JsonObject().put("app_id", appId).put("deleted", true), deleted.json());

    assertEquals(404, http().get("/v1/apps/" + appId, ADMIN).status());
    assertEquals(404, http().get("/v1/apps/" + appId + "/jwks.json").status());
    assertEquals(404, http().get("/v1/apps/" + appId + "/users/" + user, ADMIN).status());
    assertEquals(401, http().get("/auth/me", Http.bearer(tokens.getString("access_token"))).status());
    ApiResponse refresh = http().post("/auth/refresh", new JsonObject().put("app_id", appId)
        .put("app_secret", app.getString("app_secret")).put("refresh_token", tokens.getString("refresh_token")));
    assertEquals("invalid_client", refresh.error(), refresh.body());
    assertEquals(false, http().get("/v1/apps?limit=500", ADMIN).json().getJsonArray("apps").stream()
        .anyMatch(listed -> appId.equals(((JsonObject) listed).getString("app_id"))));
    ApiResponse again = http().post("/v1/apps", new JsonObject().put("name", "Again").put("slug", "deleted-large"),
        ADMIN);
    assertEquals(201, again.status(), "the slug is free at once: " + again.body());
    assertEquals("operator", audit.one(AuditEvent.APP_DELETED, appId).getJsonObject("data").getString("actor"));

    Await.until("every row of the deleted app removed", Duration.ofSeconds(60),
        () -> gateway.count("SELECT count(*) FROM apps WHERE id = '" + appId + "'") == 0);
    for (String table : APP_TABLES) {
      assertEquals(0, gateway.count("SELECT count(*) FROM " + table + " WHERE app_id = '" + appId + "'"), table);
    }
    assertEquals(0, gateway.count("SELECT count(*) FROM refresh_tokens r WHERE NOT EXISTS "
        + "(SELECT 1 FROM sessions s WHERE s.id = r.session_id)"));
    assertEquals(0, gateway.count("SELECT count(*) FROM tenant_members WHERE user_id = '" + user + "'"));
    Await.until("the audit log of the deleted app kept, its deletion in it", Duration.ofSeconds(10), () -> gateway.count(
        "SELECT count(*) FROM audit_events WHERE app_id = '" + appId + "' AND type = 'app.deleted'") == 1);

    assertEquals(200, http().get("/auth/me", Http.bearer(keptTokens.getString("access_token"))).status());
    assertEquals(1, gateway.count("SELECT count(*) FROM sessions WHERE user_id = '" + keptUser + "'"));
  }

  @Test
  @DisplayName("an app already deleted, or deleted twice at once, answers 404 to every later delete")
  void deletedOnce() {
    String appId = gateway.createApp("deleted-once").getString("app_id");
    assertEquals(200, http().delete("/v1/apps/" + appId, ADMIN).status());
    ApiResponse second = http().delete("/v1/apps/" + appId, ADMIN);
    assertEquals(404, second.status());
    assertEquals("not_found", second.error());
    ApiResponse rotate = http().post("/v1/apps/" + appId + "/rotate-secret", new JsonObject(), ADMIN);
    assertEquals(404, rotate.status());
    assertEquals(1, audit.of(AuditEvent.APP_DELETED, appId).size());
  }

  private static Http http() {
    return gateway.http();
  }

  private static String created(ApiResponse response, String field) {
    assertEquals(201, response.status(), response.body());
    return response.json().getString(field);
  }

  private static UUID user(String appId, String email) throws Exception {
    UUID id = UUID.randomUUID();
    update("INSERT INTO users (id, app_id, email) VALUES (?, ?, ?)", id, UUID.fromString(appId), email);
    return id;
  }

  private static JsonObject login(String appId, UUID userId) throws Exception {
    Issue request = Issue.login(UUID.fromString(appId), userId, false, "test-" + UUID.randomUUID(), "203.0.113.7");
    return gateway.vertx().eventBus().<Grant>request(Bus.TOKEN_ISSUE.name(), request)
        .map(reply -> reply.body().toJson()).await(10, TimeUnit.SECONDS);
  }

  private static void update(String sql, Object... args) throws Exception {
    try (Connection connection = gateway.jdbc(); PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      statement.executeUpdate();
    }
  }
}
