package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The audit log partitioned by month")
class AuditPartitionTest {

  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(new JsonObject().put(AuditPartitions.MONTHS_AHEAD, 4));
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  private static Instant startOf(YearMonth month) {
    return month.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
  }

  private static String ensure() {
    return ChainSeed.scalar(gateway, "SELECT audit_partitions_ensure(2)");
  }

  @Test
  @DisplayName("at start the gateway creates the partitions of this month and of the configured months ahead")
  void partitionsAhead() {
    YearMonth now = YearMonth.now(ZoneOffset.UTC);
    Await.until("the partition four months ahead", Duration.ofSeconds(10),
        () -> ChainSeed.scalar(gateway, "SELECT to_regclass('" + AuditPartitions.name(now.plusMonths(4)) + "')") != null);
    for (int ahead = 0; ahead <= 4; ahead++) {
      String name = AuditPartitions.name(now.plusMonths(ahead));
      assertEquals(name, ChainSeed.scalar(gateway, "SELECT to_regclass('" + name + "')::text"));
    }
    assertEquals("0", ensure(), "a second run finds every partition there");
    // The migration made this month and two ahead; the job at start made the other two.
    assertEquals(List.of("portcullis_audit_partitions_added_total 2.0"), gateway.management().get("/metrics").body()
        .lines().filter(line -> line.startsWith("portcullis_audit_partitions_added_total ")).toList());
  }

  @Test
  @DisplayName("events land in the partition of their UTC month, old months wait in DEFAULT until the job moves them, and verify walks across the months")
  void routingAcrossMonths() {
    YearMonth now = YearMonth.now(ZoneOffset.UTC);
    YearMonth twoBack = now.minusMonths(2);
    YearMonth oneBack = now.minusMonths(1);
    UUID app = UUID.randomUUID();
    ChainSeed.seed(gateway, app, List.of(
        startOf(twoBack).plusSeconds(3600),
        startOf(oneBack).minusNanos(1000),
        startOf(oneBack),
        startOf(oneBack).plusSeconds(86_400)));
    assertEquals(List.of("audit_events_default", "audit_events_default", "audit_events_default", "audit_events_default"),
        ChainSeed.partitions(gateway, app));

    ensure();
    AuditTrail.record(gateway, AuditEvent.of(AuditEvent.TOKEN_ISSUED, app, "now-1", "192.0.2.9"),
        AuditEvent.of(AuditEvent.TOKEN_ISSUED, app, "now-2", "192.0.2.9"));

    assertEquals(List.of(AuditPartitions.name(twoBack), AuditPartitions.name(twoBack), AuditPartitions.name(oneBack), AuditPartitions.name(oneBack), AuditPartitions.name(now),
        AuditPartitions.name(now)), ChainSeed.partitions(gateway, app));
    assertEquals("0", ChainSeed.scalar(gateway, "SELECT count(*) FROM audit_events_default"));
    ApiResponse verified = AuditTrail.verify(gateway, app);
    assertEquals(true, verified.json().getBoolean("ok"), verified.body());
    assertEquals(6, verified.json().getInteger("events_checked"));
  }

  @Test
  @DisplayName("Postgres refuses UPDATE, DELETE and TRUNCATE aimed at a month's partition or at DEFAULT directly")
  void partitionsAreAppendOnly() {
    YearMonth now = YearMonth.now(ZoneOffset.UTC);
    UUID app = UUID.randomUUID();
    AuditTrail.record(gateway, AuditEvent.of(AuditEvent.TOKEN_ISSUED, app, "kept", "192.0.2.9"));
    for (String table : List.of(AuditPartitions.name(now), "audit_events_default")) {
      SQLException update = assertThrows(SQLException.class,
          () -> ChainSeed.execute(gateway, "UPDATE " + table + " SET type = 'x' WHERE app_id = '" + app + "'"));
      assertTrue(update.getMessage().contains("append-only"), update.getMessage());
      SQLException delete = assertThrows(SQLException.class,
          () -> ChainSeed.execute(gateway, "DELETE FROM " + table + " WHERE app_id = '" + app + "'"));
      assertTrue(delete.getMessage().contains("append-only"), delete.getMessage());
      SQLException truncate = assertThrows(SQLException.class, () -> ChainSeed.execute(gateway, "TRUNCATE " + table));
      assertTrue(truncate.getMessage().contains("append-only"), truncate.getMessage());
    }
    assertEquals(1, AuditTrail.rows(gateway, app).size());
  }

  @Test
  @DisplayName("the owner holds no UPDATE, DELETE or TRUNCATE privilege on any partition")
  void partitionPrivileges() {
    List<String> held = ChainSeed.strings(gateway, "SELECT c.relname || ':' || a.privilege_type FROM pg_class c "
        + "JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = 'audit_events'::regclass, aclexplode(c.relacl) a "
        + "WHERE a.grantee = c.relowner");
    assertFalse(held.isEmpty());
    assertTrue(held.stream().noneMatch(p -> p.endsWith(":UPDATE") || p.endsWith(":DELETE") || p.endsWith(":TRUNCATE")),
        held.toString());
  }

  @Test
  @DisplayName("a second event with an app's seq in the same month is refused by the partition's unique index")
  void seqUniqueWithinMonth() {
    UUID app = UUID.randomUUID();
    AuditTrail.record(gateway, AuditEvent.of(AuditEvent.TOKEN_ISSUED, app, "first", "192.0.2.9"));
    JsonObject row = AuditTrail.rows(gateway, app).get(0);
    SQLException duplicate = assertThrows(SQLException.class, () -> ChainSeed.execute(gateway,
        "INSERT INTO audit_events (id, app_id, seq, at, type, hash) VALUES (gen_random_uuid(), '" + app + "', 1, now(), 'x', '"
            + row.getString("hash") + "')"));
    assertEquals("23505", duplicate.getSQLState());
  }

  @Test
  @DisplayName("while another process holds the partition job's lock, a run does nothing and says so")
  void oneProcessAtATime() throws SQLException {
    try (Connection holder = gateway.jdbc(); Statement statement = holder.createStatement()) {
      statement.execute("SELECT pg_advisory_lock(7020537711240921088)");
      assertEquals("-1", ensure());
      statement.execute("SELECT pg_advisory_unlock(7020537711240921088)");
    }
    assertEquals("0", ensure());
  }
}
