package dev.portcullis.audit;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Test helpers for the audit log, usable from any capability's tests: the stored rows of an app (straight
 * from Postgres), the audit API as the operator sees it, and recording from the test thread.
 */
public final class AuditTrail {

  private AuditTrail() {
  }

  /** The app's stored events, oldest first, as rows: {id, app_id, seq, type, user_id, request_id, client_ip, data, hash}. */
  public static List<JsonObject> rows(TestGateway gateway, UUID appId) {
    return select(gateway, "app_id = ? ORDER BY seq", appId);
  }

  /** The stored events of one request (its X-Request-Id), of any app, oldest first. */
  public static List<JsonObject> ofRequest(TestGateway gateway, String requestId) {
    return select(gateway, "request_id = ? ORDER BY at, seq", requestId);
  }

  private static List<JsonObject> select(TestGateway gateway, String condition, Object parameter) {
    String sql = "SELECT id, app_id, seq, type, user_id, request_id, client_ip, data::text AS data, hash FROM audit_events "
        + "WHERE " + condition;
    try (Connection connection = gateway.jdbc(); PreparedStatement query = connection.prepareStatement(sql)) {
      query.setObject(1, parameter);
      List<JsonObject> rows = new ArrayList<>();
      try (ResultSet result = query.executeQuery()) {
        while (result.next()) {
          rows.add(new JsonObject()
              .put("id", result.getString("id"))
              .put("app_id", result.getString("app_id"))
              .put("seq", result.getLong("seq"))
              .put("type", result.getString("type"))
              .put("user_id", result.getString("user_id"))
              .put("request_id", result.getString("request_id"))
              .put("client_ip", result.getString("client_ip"))
              .put("data", new JsonObject(result.getString("data")))
              .put("hash", result.getString("hash")));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The types of the app's stored events, oldest first. */
  public static List<String> types(TestGateway gateway, UUID appId) {
    return rows(gateway, appId).stream().map(row -> row.getString("type")).toList();
  }

  /** {@code GET /v1/apps/{app_id}/audit?query} with the admin key. */
  public static ApiResponse list(TestGateway gateway, UUID appId, String query) {
    return gateway.http().get("/v1/apps/" + appId + "/audit" + (query.isEmpty() ? "" : "?" + query),
        Http.bearer(TestGateway.ADMIN_KEY));
  }

  /** {@code GET /v1/apps/{app_id}/audit/verify} with the admin key. */
  public static ApiResponse verify(TestGateway gateway, UUID appId) {
    return gateway.http().get("/v1/apps/" + appId + "/audit/verify", Http.bearer(TestGateway.ADMIN_KEY));
  }

  /** Records events through the event bus, as a verticle would, and waits until they are stored. */
  public static void record(TestGateway gateway, AuditEvent... events) {
    try {
      new AuditLog(new Bus(gateway.vertx(), gateway.config())).record(List.of(events)).await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("recording failed", e);
    }
  }
}
