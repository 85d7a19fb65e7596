package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("The keyed audit chain: HMAC links from a recorded seq per app")
class KeyedChainTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;

  private static final byte[] CHAIN_KEY = ChainHash.key(Base64.getDecoder().decode(TestGateway.TEST_MASTER_KEY));

  private static UUID appWithEvents(TestGateway on, int count) {
    UUID app = UUID.randomUUID();
    record(on, app, 0, count);
    return app;
  }

  private static void record(TestGateway on, UUID app, int from, int count) {
    AuditTrail.record(on, IntStream.range(from, from + count)
        .mapToObj(i -> AuditEvent.of(AuditEvent.TOKEN_REFRESHED, app, "req-" + i, "198.51.100.1").with("n", i))
        .toArray(AuditEvent[]::new));
  }

  private static JsonObject verify(TestGateway on, UUID app) {
    ApiResponse response = AuditTrail.verify(on, app);
    assertEquals(200, response.status(), response.body());
    return response.json();
  }

  private static void sql(Connection db, String... statements) throws SQLException {
    try (Statement statement = db.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    }
  }

  private static StoredEvent event(JsonObject row) {
    return StoredEvent.fromJson(row);
  }

  /** The app's events as the API answers them, oldest first. */
  private static List<JsonObject> events(TestGateway on, UUID app) {
    ApiResponse listed = AuditTrail.list(on, app, "limit=500");
    assertEquals(200, listed.status(), listed.body());
    List<JsonObject> events = new java.util.ArrayList<>(listed.json().getJsonArray("events").stream()
        .map(JsonObject.class::cast).toList());
    java.util.Collections.reverse(events);
    return events;
  }

  @Test
  @DisplayName("a new chain is keyed from seq 1: its links are HMACs under the master key's chain key, not SHA-256")
  void newChainIsKeyed() {
    UUID app = appWithEvents(gateway, 3);
    List<JsonObject> rows = events(gateway, app);
    StoredEvent first = event(rows.get(0));
    assertEquals(ChainHash.keyedLink(CHAIN_KEY, ChainHash.GENESIS, first), first.hash());
    assertNotEquals(ChainHash.link(ChainHash.GENESIS, first), first.hash());
    JsonObject result = verify(gateway, app);
    assertEquals(true, result.getBoolean("ok"), result.encode());
    assertEquals(1L, result.getLong("keyed_from_seq"));
    assertEquals(1L, gateway.count("SELECT keyed_from_seq FROM audit_chain_heads WHERE app_id = '" + app + "'"));
  }

  @Test
  @DisplayName("a keyed suffix rewritten straight in the database, triggers off and SHA-256 links recomputed, fails verify")
  void rewrittenKeyedSuffixIsCaught() throws SQLException {
    UUID app = appWithEvents(gateway, 10);
    List<JsonObject> rows = events(gateway, app);
    // The attacker: database superuser, no master key. Alters event 5 and recomputes every later link (and the
    // head) the only way open without the key, then moves nothing else.
    String previous = rows.get(3).getString("hash");
    try (Connection db = gateway.jdbc()) {
      sql(db, "SET session_replication_role = replica");
      for (int i = 4; i < rows.size(); i++) {
        JsonObject row = rows.get(i).copy();
        if (i == 4) {
          row.put("data", new JsonObject().put("n", 999));
        }
        StoredEvent forged = event(row.put("hash", (String) null));
        String hash = ChainHash.link(previous, forged);
        sql(db, "UPDATE audit_events SET data = '" + forged.data().encode() + "', hash = '" + hash + "' WHERE id = '"
            + forged.id() + "'");
        previous = hash;
      }
      sql(db, "UPDATE audit_chain_heads SET hash = '" + previous + "' WHERE app_id = '" + app + "'",
          "SET session_replication_role = origin");
    }

    JsonObject result = verify(gateway, app);
    assertEquals(false, result.getBoolean("ok"), result.encode());
    JsonObject broken = result.getJsonObject("first_broken");
    assertEquals(5L, broken.getLong("seq"), result.encode());
    assertEquals("hash_mismatch", broken.getString("reason"));
    assertEquals(rows.get(4).getString("id"), broken.getString("id"));
  }

  @Test
  @DisplayName("the switch-over seq cannot be changed, and a new head cannot be inserted keyed from elsewhere")
  void switchOverIsFixed() {
    UUID app = appWithEvents(gateway, 2);
    SQLException moved = assertThrows(SQLException.class, () -> {
      try (Connection db = gateway.jdbc()) {
        sql(db, "UPDATE audit_chain_heads SET keyed_from_seq = 100 WHERE app_id = '" + app + "'");
      }
    });
    assertTrue(moved.getMessage().contains("keyed_from_seq"), moved.getMessage());
    // Not even together with a legitimate forward move of the head.
    assertThrows(SQLException.class, () -> {
      try (Connection db = gateway.jdbc()) {
        sql(db, "UPDATE audit_chain_heads SET seq = seq + 1, keyed_from_seq = 100 WHERE app_id = '" + app + "'");
      }
    });
    assertThrows(SQLException.class, () -> {
      try (Connection db = gateway.jdbc()) {
        sql(db, "INSERT INTO audit_chain_heads (app_id, seq, hash, keyed_from_seq) VALUES ('" + UUID.randomUUID()
            + "', 5, '" + ChainHash.GENESIS + "', 1000)");
      }
    });
    assertEquals(1L, gateway.count("SELECT keyed_from_seq FROM audit_chain_heads WHERE app_id = '" + app + "'"));
    assertEquals(true, verify(gateway, app).getBoolean("ok"));
  }

  @Test
  @DisplayName("a chain written before the upgrade keeps its SHA-256 prefix, switches at its head's seq + 1, and verifies")
  void preexistingPrefixVerifies() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    // The schema as it was before keyed chains (V44), and a chain of 4 SHA-256 links written then.
    Flyway.configure().dataSource(database.jdbcUrl(), database.user(), database.password())
        .locations("classpath:db/migration").target("44").load().migrate();
    UUID app = UUID.randomUUID();
    Instant now = Instant.now();
    List<StoredEvent> seeded;
    try (Connection db = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password())) {
      seeded = ChainSeed.seed(db, app, List.of(now.minusSeconds(4), now.minusSeconds(3), now.minusSeconds(2),
          now.minusSeconds(1)));
    }
    try (TestGateway upgraded = TestGateway.start(new JsonObject().put(GatewayConfig.PG_URL, database.toUrl()));
         Connection db = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password())) {
      assertEquals(List.of("5"), ChainSeed.strings(db, "SELECT keyed_from_seq FROM audit_chain_heads WHERE app_id = '"
          + app + "'"));
      record(upgraded, app, 4, 3);
      List<JsonObject> rows = events(upgraded, app);
      assertEquals(7, rows.size());
      assertEquals(seeded.get(3).hash(), rows.get(3).getString("hash"));
      StoredEvent fifth = event(rows.get(4));
      assertEquals(ChainHash.keyedLink(CHAIN_KEY, seeded.get(3).hash(), fifth), fifth.hash());

      JsonObject result = verify(upgraded, app);
      assertEquals(true, result.getBoolean("ok"), result.encode());
      assertEquals(7, result.getInteger("events_checked"));
      assertEquals(5L, result.getLong("keyed_from_seq"));

      // Moving the switch point past the keyed events (to pass them off as SHA-256 ones) is refused.
      assertThrows(SQLException.class, () -> sql(db,
          "UPDATE audit_chain_heads SET keyed_from_seq = 8 WHERE app_id = '" + app + "'"));
      // The SHA-256 prefix cannot be rewritten either: the append-only trigger still holds.
      SQLException refused = assertThrows(SQLException.class, () -> sql(db,
          "UPDATE audit_events SET data = '{}' WHERE app_id = '" + app + "' AND seq = 2"));
      assertTrue(refused.getMessage().contains("append-only"), refused.getMessage());
      assertEquals(List.of("5"), ChainSeed.strings(db, "SELECT keyed_from_seq FROM audit_chain_heads WHERE app_id = '"
          + app + "'"));
    }
  }
}
