package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/** An app's policies and licenses made through the admin API, and device calls as a licensed device makes them. */
final class LicenseFixture {

  private final TestGateway gateway;
  private final JsonObject app;

  LicenseFixture(TestGateway gateway, JsonObject app) {
    this.gateway = gateway;
    this.app = app;
  }

  String appId() {
    return app.getString("app_id");
  }

  JsonObject app() {
    return app;
  }

  ApiResponse admin(String method, String path, JsonObject body) {
    String full = "/v1/apps/" + appId() + path;
    return gateway.http().send(method, full, body == null ? null : body.encode(), "Content-Type", "application/json",
        "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
  }

  JsonObject policy(JsonObject body) {
    ApiResponse created = admin("POST", "/license-policies", body);
    assertEquals(201, created.status(), created.body());
    return created.json();
  }

  JsonObject policy(int maxDevices) {
    return policy(new JsonObject().put("name", "Pro " + maxDevices).put("max_devices", maxDevices)
        .put("entitlements", TestGateway.array("export", "sync")));
  }

  JsonObject license(JsonObject policy) {
    return licenseFrom(new JsonObject().put("policy_id", policy.getString("policy_id")));
  }

  JsonObject license(JsonObject policy, String userId) {
    return licenseFrom(new JsonObject().put("policy_id", policy.getString("policy_id")).put("user_id", userId));
  }

  JsonObject licenseFrom(JsonObject body) {
    ApiResponse created = admin("POST", "/licenses", body);
    assertEquals(201, created.status(), created.body());
    return created.json();
  }

  ApiResponse device(Http http, String call, String key, JsonObject extra) {
    return http.post("/licenses/" + call, new JsonObject().put("app_id", appId()).put("key", key).mergeIn(extra));
  }

  ApiResponse device(String call, String key, String fingerprint) {
    return device(gateway.http(), call, key, fingerprint == null ? new JsonObject()
        : new JsonObject().put("fingerprint", fingerprint));
  }

  CompletableFuture<ApiResponse> activateAsync(Http http, String key, String fingerprint) {
    return http.postAsync("/licenses/activate", new JsonObject().put("app_id", appId()).put("key", key)
        .put("fingerprint", fingerprint));
  }

  /** Activates and returns the device id, failing unless the device got a seat. */
  String activated(String key, String fingerprint) {
    ApiResponse response = device("activate", key, fingerprint);
    assertEquals(201, response.status(), response.body());
    return response.json().getString("device_id");
  }

  long count(String sql, Object... args) {
    try (Connection connection = gateway.jdbc(); PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  void update(String sql, Object... args) {
    try (Connection connection = gateway.jdbc(); PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A session of a new user bound to the device, inserted as a login would store it. */
  UUID boundSession(String deviceId) {
    UUID user = UUID.randomUUID();
    UUID session = UUID.randomUUID();
    update("INSERT INTO users (id, app_id, email) VALUES (?, ?, ?)", user, UUID.fromString(appId()),
        user + "@example.com");
    update("INSERT INTO sessions (id, app_id, user_id, expires_at, device_id) "
        + "VALUES (?, ?, ?, now() + interval '1 hour', ?)", session, UUID.fromString(appId()), user,
        UUID.fromString(deviceId));
    return session;
  }

  long liveDevices(String licenseId) {
    return count("SELECT count(*) FROM license_devices WHERE license_id = ? AND deactivated_at IS NULL",
        UUID.fromString(licenseId));
  }

  static JsonObject claims(String jwt) {
    return dev.portcullis.testing.JwtClaims.of(jwt);
  }

  static JsonObject header(String jwt) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[0]), StandardCharsets.UTF_8));
  }
}
