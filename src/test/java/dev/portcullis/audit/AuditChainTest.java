package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("The audit log's immutability and hash chain")
class AuditChainTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;

  /** An app with {@code count} events, recorded in a few batches. */
  private static UUID appWithEvents(int count) {
    UUID app = UUID.randomUUID();
    for (int from = 0; from < count; from += 100) {
      AuditTrail.record(gateway, IntStream.range(from, Math.min(count, from + 100))
          .mapToObj(i -> AuditEvent.of(AuditEvent.TOKEN_REFRESHED, app, "req-" + i, "198.51.100.1").with("n", i))
          .toArray(AuditEvent[]::new));
    }
    return app;
  }

  /** Runs statements as the Postgres superuser, the only role that can switch the trigger off. */
  private static void superuser(String... statements) throws SQLException {
    try (Connection connection = gateway.jdbc(); Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    }
  }

  private static JsonObject verify(UUID app) {
    ApiResponse response = AuditTrail.verify(gateway, app);
    assertEquals(200, response.status(), response.body());
    return response.json();
  }

  @Test
  @DisplayName("Postgres refuses UPDATE of an audit row, even from the superuser")
  void updateRefused() throws SQLException {
    UUID app = appWithEvents(1);
    SQLException refused = assertThrows(SQLException.class,
        () -> superuser("UPDATE audit_events SET type = 'x' WHERE app_id = '" + app + "'"));
    assertTrue(refused.getMessage().contains("append-only"), refused.getMessage());
    assertEquals(AuditEvent.TOKEN_REFRESHED, AuditTrail.types(gateway, app).get(0));
  }

  @Test
  @DisplayName("Postgres refuses DELETE and TRUNCATE of audit rows")
  void deleteRefused() throws SQLException {
    UUID app = appWithEvents(2);
    SQLException delete = assertThrows(SQLException.class,
        () -> superuser("DELETE FROM audit_events WHERE app_id = '" + app + "'"));
    assertTrue(delete.getMessage().contains("append-only"), delete.getMessage());
    assertThrows(SQLException.class, () -> superuser("TRUNCATE audit_events"));
    assertEquals(2, AuditTrail.rows(gateway, app).size());
  }

  @Test
  @DisplayName("a chain head can only move forward: moving it back or deleting it is refused")
  void headsOnlyMoveForward() throws SQLException {
    UUID app = appWithEvents(3);
    assertThrows(SQLException.class, () -> superuser("UPDATE audit_chain_heads SET seq = 1 WHERE app_id = '" + app + "'"));
    assertThrows(SQLException.class, () -> superuser("DELETE FROM audit_chain_heads WHERE app_id = '" + app + "'"));
    assertEquals(true, verify(app).getBoolean("ok"));
  }

  @Test
  @DisplayName("the table owner, the gateway's role in a single-role deployment, holds no UPDATE, DELETE or TRUNCATE privilege")
  void ownerLacksPrivileges() throws SQLException {
    String sql = "SELECT a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "
        + "WHERE c.relname = 'audit_events' AND a.grantee = c.relowner";
    List<String> privileges = new ArrayList<>();
    try (Connection connection = gateway.jdbc(); Statement statement = connection.createStatement();
         ResultSet rows = statement.executeQuery(sql)) {
      while (rows.next()) {
        privileges.add(rows.getString(1));
      }
    }
    assertTrue(privileges.containsAll(List.of("SELECT", "INSERT")), privileges.toString());
    assertFalse(privileges.contains("UPDATE"), privileges.toString());
    assertFalse(privileges.contains("DELETE"), privileges.toString());
    assertFalse(privileges.contains("TRUNCATE"), privileges.toString());
  }

  @Test
  @DisplayName("an intact chain verifies: ok, every event checked, head_hash is the newest event's hash")
  void intactChainVerifies() {
    UUID app = appWithEvents(25);
    JsonObject result = verify(app);
    assertEquals(true, result.getBoolean("ok"), result.encode());
    assertEquals(25, result.getInteger("events_checked"));
    String newest = AuditTrail.list(gateway, app, "limit=1").json().getJsonArray("events").getJsonObject(0).getString("hash");
    assertEquals(newest, result.getString("head_hash"));
    assertFalse(result.containsKey("first_broken"));
  }

  @Test
  @DisplayName("a chain longer than one verify page (1000 rows) is streamed through and verifies")
  void longChainVerifies() {
    UUID app = appWithEvents(1234);
    JsonObject result = verify(app);
    assertEquals(true, result.getBoolean("ok"), result.encode());
    assertEquals(1234, result.getInteger("events_checked"));
  }

  @Test
  @DisplayName("a row altered with the trigger disabled is named as the first broken event")
  void alteredRowIsFirstBroken() throws SQLException {
    UUID app = appWithEvents(40);
    JsonObject victim = AuditTrail.rows(gateway, app).get(16);
    superuser("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "UPDATE audit_events SET data = '{\"n\": 999}' WHERE id = '" + victim.getString("id") + "'",
        "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only");

    JsonObject result = verify(app);
    assertEquals(false, result.getBoolean("ok"));
    JsonObject broken = result.getJsonObject("first_broken");
    assertEquals(victim.getString("id"), broken.getString("id"));
    assertEquals(17L, broken.getLong("seq"));
    assertEquals("hash_mismatch", broken.getString("reason"));
    assertEquals(17, result.getInteger("events_checked"));
  }

  @Test
  @DisplayName("an altered row whose keyed link was recomputed with the master key passes, and the next event is named instead")
  void rehashedRowBreaksNextLink() throws SQLException {
    UUID app = appWithEvents(10);
    List<JsonObject> listed = AuditTrail.list(gateway, app, "").json().getJsonArray("events").stream()
        .map(JsonObject.class::cast).toList();
    JsonObject fifth = listed.get(5);
    JsonObject fourth = listed.get(6);
    JsonObject forgedData = new JsonObject().put("n", 999);
    String forgedHash = new StoredEvent(UUID.fromString(fifth.getString("id")), app, 0, Instant.parse(fifth.getString("at")),
        fifth.getString("type"), null, fifth.getString("request_id"), fifth.getString("client_ip"), forgedData, null)
        .chained(5, fourth.getString("hash"),
            ChainHash.key(java.util.Base64.getDecoder().decode(TestGateway.TEST_MASTER_KEY)), 1).hash();
    superuser("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "UPDATE audit_events SET data = '" + forgedData.encode() + "', hash = '" + forgedHash + "' "
            + "WHERE id = '" + fifth.getString("id") + "'",
        "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only");

    JsonObject broken = verify(app).getJsonObject("first_broken");
    assertEquals(listed.get(4).getString("id"), broken.getString("id"));
    assertEquals(6L, broken.getLong("seq"));
  }

  @Test
  @DisplayName("a row deleted from the middle is caught at the event after the gap")
  void deletedRowIsCaught() throws SQLException {
    UUID app = appWithEvents(10);
    List<JsonObject> rows = AuditTrail.rows(gateway, app);
    superuser("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "DELETE FROM audit_events WHERE id = '" + rows.get(3).getString("id") + "'",
        "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only");

    JsonObject broken = verify(app).getJsonObject("first_broken");
    assertEquals(rows.get(4).getString("id"), broken.getString("id"));
    assertEquals("seq_gap", broken.getString("reason"));
  }

  @Test
  @DisplayName("the newest rows deleted are caught against the chain head")
  void deletedTailIsCaught() throws SQLException {
    UUID app = appWithEvents(10);
    superuser("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "DELETE FROM audit_events WHERE app_id = '" + app + "' AND seq > 8",
        "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only");

    JsonObject result = verify(app);
    assertEquals(false, result.getBoolean("ok"));
    assertEquals(9L, result.getJsonObject("first_broken").getLong("seq"));
    assertEquals("head_mismatch", result.getJsonObject("first_broken").getString("reason"));
  }

  @Test
  @DisplayName("a row inserted past the chain head is caught, naming it")
  void rowPastTheHeadIsCaught() throws SQLException {
    UUID app = appWithEvents(3);
    superuser("INSERT INTO audit_events (id, app_id, seq, at, type, data, hash) VALUES (gen_random_uuid(), '" + app
        + "', 4, now(), 'app.deleted', '{}', repeat('a', 64))");

    JsonObject result = verify(app);
    assertEquals(false, result.getBoolean("ok"), result.encode());
    assertEquals(4L, result.getJsonObject("first_broken").getLong("seq"));
    assertEquals("beyond_head", result.getJsonObject("first_broken").getString("reason"));
  }
}
