package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The migration that partitions the audit log")
class AuditPartitionMigrationTest {

  @Test
  @DisplayName("events written before the migration are moved into the partitions of their months, unchanged, and still verify")
  void rowsAreMoved() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    var flyway = Flyway.configure().dataSource(database.jdbcUrl(), database.user(), database.password())
        .locations("classpath:db/migration");
    // The newest script before V100, whichever range it comes from.
    MigrationVersion before = Arrays.stream(flyway.load().info().all())
        .map(MigrationInfo::getVersion)
        .filter(version -> version.isNewerThan("0") && !version.isAtLeast("100"))
        .max(MigrationVersion::compareTo)
        .orElseThrow();
    flyway.target(before).load().migrate();
    YearMonth lastMonth = YearMonth.now(ZoneOffset.UTC).minusMonths(1);
    Instant boundary = lastMonth.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    UUID app = UUID.randomUUID();
    List<StoredEvent> seeded;
    try (Connection db = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password())) {
      seeded = ChainSeed.seed(db, app, List.of(boundary.minusSeconds(60), boundary.minusNanos(1000), boundary));
    }

    try (TestGateway gateway = TestGateway.start(new JsonObject().put(GatewayConfig.PG_URL, database.toUrl()));
         Connection db = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password())) {
      String previous = AuditPartitions.name(lastMonth);
      String current = AuditPartitions.name(YearMonth.now(ZoneOffset.UTC));
      assertEquals(List.of(previous, previous, current), ChainSeed.strings(db, "SELECT tableoid::regclass::text FROM audit_events WHERE app_id = '" + app + "' ORDER BY seq"));
      assertEquals(seeded.stream().map(StoredEvent::hash).toList(),
          ChainSeed.strings(db, "SELECT hash FROM audit_events WHERE app_id = '" + app + "' ORDER BY seq"));
      assertEquals(List.of("f"), ChainSeed.strings(db, "SELECT to_regclass('audit_events_unpartitioned') IS NOT NULL"));
      ApiResponse verified = AuditTrail.verify(gateway, app);
      assertEquals(true, verified.json().getBoolean("ok"), verified.body());
      assertEquals(3, verified.json().getInteger("events_checked"));
    }
  }
}
