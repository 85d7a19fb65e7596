package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PORTCULLIS_PG_MIGRATION_URL: migrations as the owner, the gateway under a least-privilege role")
class MigrationRoleTest {

  private static Connection connect(PgUrl url) throws SQLException {
    return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
  }

  private static void sql(Connection db, String... statements) throws SQLException {
    try (Statement statement = db.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    }
  }

  private static String refusal(Connection db, String sql) {
    SQLException refused = assertThrows(SQLException.class, () -> sql(db, sql), sql);
    return refused.getSQLState() + " " + refused.getMessage();
  }

  @Test
  @DisplayName("Flyway runs as the owner; the gateway's role writes audit rows but cannot change, delete or un-trigger them")
  void leastPrivilegeRuntimeRole() throws Exception {
    String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
    String ownerRole = "pc_owner_" + suffix;
    String gatewayRole = "pc_gateway_" + suffix;
    PgUrl superuser = TestBackends.postgres();
    PgUrl database = superuser.withDatabase("pc_roles_" + suffix);
    try (Connection admin = connect(superuser.withDatabase("postgres"))) {
      sql(admin, "CREATE ROLE " + ownerRole + " LOGIN NOSUPERUSER",
          "CREATE ROLE " + gatewayRole + " LOGIN NOSUPERUSER",
          "CREATE DATABASE " + database.database() + " OWNER " + ownerRole);
    }
    PgUrl owner = new PgUrl(database.host(), database.port(), database.database(), ownerRole, null);
    PgUrl runtime = new PgUrl(database.host(), database.port(), database.database(), gatewayRole, null);
    try {
      try (TestGateway gateway = TestGateway.start(new JsonObject()
          .put(GatewayConfig.PG_URL, runtime.toUrl())
          .put(GatewayConfig.PG_MIGRATION_URL, owner.toUrl()))) {
        // The gateway works under its role: an app create writes its audit row, and the chain verifies.
        JsonObject app = gateway.createApp("roles-" + suffix);
        UUID appId = UUID.fromString(app.getString("app_id"));
        ApiResponse verified = AuditTrail.verify(gateway, appId);
        assertEquals(200, verified.status(), verified.body());
        assertEquals(true, verified.json().getBoolean("ok"), verified.body());
        assertTrue(verified.json().getInteger("events_checked") >= 1, verified.body());

        try (Connection asOwner = connect(owner)) {
          // Migrations ran as the owner: it owns the tables and is who Flyway recorded.
          assertEquals(List.of(ownerRole), ChainSeed.strings(asOwner,
              "SELECT DISTINCT tableowner FROM pg_tables WHERE tablename IN ('audit_events', 'audit_chain_heads', 'apps')"));
          assertEquals(List.of(ownerRole), ChainSeed.strings(asOwner,
              "SELECT DISTINCT installed_by FROM flyway_schema_history WHERE version IS NOT NULL"));
          assertTrue(Long.parseLong(ChainSeed.strings(asOwner,
              "SELECT count(*) FROM audit_events WHERE app_id = '" + appId + "'").get(0)) >= 1);
        }

        try (Connection asGateway = connect(runtime)) {
          String where = " WHERE app_id = '" + appId + "'";
          assertTrue(refusal(asGateway, "UPDATE audit_events SET type = 'x'" + where).startsWith("42501"));
          assertTrue(refusal(asGateway, "DELETE FROM audit_events" + where).startsWith("42501"));
          assertTrue(refusal(asGateway, "TRUNCATE audit_events").startsWith("42501"));
          // Switching the trigger off takes ownership, which the gateway's role does not have.
          assertTrue(refusal(asGateway, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
              .startsWith("42501"));
          assertTrue(refusal(asGateway, "ALTER TABLE audit_chain_heads DISABLE TRIGGER audit_chain_heads_forward_only")
              .startsWith("42501"));
          // Nor can it reach a month's partition directly, or set the replication role that skips triggers.
          String partition = ChainSeed.strings(asGateway,
              "SELECT tableoid::regclass::text FROM audit_events" + where + " LIMIT 1").get(0);
          assertTrue(refusal(asGateway, "DELETE FROM " + partition + where).startsWith("42501"));
          assertTrue(refusal(asGateway, "SET session_replication_role = replica").startsWith("42501"));
          assertTrue(refusal(asGateway, "DELETE FROM audit_chain_heads" + where).startsWith("42501"));
          assertTrue(refusal(asGateway, "UPDATE flyway_schema_history SET success = true").startsWith("42501"));
        }
      }
      // A second start: the schema is current, the grants are renewed, the gateway still works.
      try (TestGateway again = TestGateway.start(new JsonObject()
          .put(GatewayConfig.PG_URL, runtime.toUrl())
          .put(GatewayConfig.PG_MIGRATION_URL, owner.toUrl()))) {
        again.createApp("roles-again-" + suffix);
      }
    } finally {
      try (Connection admin = connect(superuser.withDatabase("postgres"))) {
        sql(admin, "DROP DATABASE IF EXISTS " + database.database() + " WITH (FORCE)",
            "DROP ROLE IF EXISTS " + gatewayRole, "DROP ROLE IF EXISTS " + ownerRole);
      }
    }
  }
}
