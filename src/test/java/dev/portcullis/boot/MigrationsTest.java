package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Schema migrations at boot")
class MigrationsTest {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("a database Flyway migrated is seen as up to date by the restart check, with the checksums Flyway stored")
  void migratedDatabaseIsUpToDate() throws Exception {
    GatewayConfig config = config(TestBackends.newDatabase());
    List<MigrationScripts.Script> scripts = MigrationScripts.read().orElseThrow();
    assertFalse(upToDate(config, scripts), "an empty database is not");

    Migrations.migrate(vertx, config).await(60, TimeUnit.SECONDS);

    assertTrue(upToDate(config, scripts));
    Migrations.migrate(vertx, config).await(60, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("an applied script whose checksum changed sends the boot to Flyway, which refuses to start")
  void editedScriptGoesToFlyway() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    GatewayConfig config = config(database);
    Migrations.migrate(vertx, config).await(60, TimeUnit.SECONDS);
    execute(database, "UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '1'");

    assertFalse(upToDate(config, MigrationScripts.read().orElseThrow()));
    Exception refused = assertThrows(Exception.class, () -> Migrations.migrate(vertx, config).await(60, TimeUnit.SECONDS));
    assertTrue(refused.getMessage().contains("cannot migrate"), refused.getMessage());
  }

  @Test
  @DisplayName("a start with another master key than the database's first is refused, naming PORTCULLIS_MASTER_KEY (dev mode warns)")
  void anotherMasterKeyIsRefused() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    Migrations.migrate(vertx, config(database)).await(60, TimeUnit.SECONDS);
    Migrations.migrate(vertx, config(database)).await(60, TimeUnit.SECONDS);

    String otherKey = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    GatewayConfig other = ConfigLoader.load(vertx, config(database).json().put(GatewayConfig.MASTER_KEY, otherKey),
        false).await(10, TimeUnit.SECONDS);
    Exception refused = assertThrows(Exception.class, () -> Migrations.migrate(vertx, other).await(60, TimeUnit.SECONDS));
    assertTrue(refused.getMessage().startsWith(GatewayConfig.MASTER_KEY + " is not the key"), refused.getMessage());

    GatewayConfig devCheckout = ConfigLoader.load(vertx, other.json().put(GatewayConfig.DEV_MODE, true), false)
        .await(10, TimeUnit.SECONDS);
    Migrations.migrate(vertx, devCheckout).await(60, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("a database from before the key check, upgraded under another key, is refused: its signing keys say whose it is")
  void upgradeUnderAnotherKeyIsRefused() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    Migrations.migrate(vertx, config(database)).await(60, TimeUnit.SECONDS);
    // As an older release left it: a signing key sealed under the test key, and no recorded digest.
    dev.portcullis.token.SigningKeyMaterial sealed = dev.portcullis.token.SigningKeyMaterial.generate(
        new dev.portcullis.core.MasterKey(java.util.Base64.getDecoder().decode(TestGateway.TEST_MASTER_KEY)));
    try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
         java.sql.PreparedStatement insert = connection.prepareStatement("INSERT INTO signing_keys "
             + "(kid, app_id, public_pem, private_enc) VALUES (?, '00000000-0000-0000-0000-000000000001', ?, ?)")) {
      insert.setString(1, sealed.kid());
      insert.setString(2, sealed.publicPem());
      insert.setBytes(3, sealed.privateSealed());
      insert.executeUpdate();
    }
    execute(database, "DELETE FROM master_key_check");

    String otherKey = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    GatewayConfig other = ConfigLoader.load(vertx, config(database).json().put(GatewayConfig.MASTER_KEY, otherKey),
        false).await(10, TimeUnit.SECONDS);
    Exception refused = assertThrows(Exception.class, () -> Migrations.migrate(vertx, other).await(60, TimeUnit.SECONDS));
    assertTrue(refused.getMessage().startsWith(GatewayConfig.MASTER_KEY + " is not the key"), refused.getMessage());
    Migrations.migrate(vertx, config(database)).await(60, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("a start under another key is refused before any script runs: the schema stays at the version the "
      + "pods still serving use")
  void anotherKeyMigratesNothing() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    Migrations.migrate(vertx, config(database)).await(60, TimeUnit.SECONDS);
    // One script fewer in the history, as the previous release left it (the script's work itself stays: run again,
    // it would fail, as any script run under the wrong key must not get to).
    String latest = MigrationScripts.latest(MigrationScripts.read().orElseThrow());
    execute(database, "DELETE FROM flyway_schema_history WHERE version = '" + latest + "'");

    String otherKey = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    GatewayConfig other = ConfigLoader.load(vertx, config(database).json().put(GatewayConfig.MASTER_KEY, otherKey),
        false).await(10, TimeUnit.SECONDS);
    Exception refused = assertThrows(Exception.class, () -> Migrations.migrate(vertx, other).await(60, TimeUnit.SECONDS));
    assertTrue(refused.getMessage().startsWith(GatewayConfig.MASTER_KEY + " is not the key"), refused.getMessage());
    try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
         Statement query = connection.createStatement();
         java.sql.ResultSet applied = query.executeQuery(
             "SELECT count(*) FROM flyway_schema_history WHERE version = '" + latest + "'")) {
      applied.next();
      assertEquals(0, applied.getInt(1), "V" + latest + " was not applied under the other key");
    }
  }

  @Test
  @DisplayName("a history that lacks one of the jar's scripts is not up to date")
  void missingScriptIsNotUpToDate() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    GatewayConfig config = config(database);
    Migrations.migrate(vertx, config).await(60, TimeUnit.SECONDS);
    List<MigrationScripts.Script> scripts = MigrationScripts.read().orElseThrow();
    execute(database, "DELETE FROM flyway_schema_history WHERE version = '" + MigrationScripts.latest(scripts) + "'");

    assertFalse(upToDate(config, scripts));
  }

  @Test
  @DisplayName("a script's checksum, like Flyway's, ignores line endings and a leading byte-order mark")
  void checksumIgnoresLineEndings() throws Exception {
    int unix = checksum("CREATE TABLE t (id int);\nSELECT 1;\n");
    assertEquals(unix, checksum("CREATE TABLE t (id int);\r\nSELECT 1;\r\n"));
    assertEquals(unix, checksum("\uFEFFCREATE TABLE t (id int);\nSELECT 1;"));
    assertTrue(unix != checksum("CREATE TABLE t (id bigint);\nSELECT 1;\n"));
  }

  private static boolean upToDate(GatewayConfig config, List<MigrationScripts.Script> scripts) throws Exception {
    return Migrations.alreadyApplied(vertx, config, scripts).await(30, TimeUnit.SECONDS);
  }

  private static int checksum(String text) throws Exception {
    return MigrationScripts.checksum(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  @DisplayName("a Postgres that takes the connection and never answers fails the start within the login timeout, "
      + "naming the variable (h104: the start waited for ever, the pod alive and never ready, its log empty)")
  void silentPostgresFailsTheStart() throws Exception {
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      List<java.net.Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
        try {
          while (true) {
            accepted.add(silent.accept());
          }
        } catch (java.io.IOException closed) {
          // the test is over
        }
      });
      GatewayConfig config = config(new PgUrl("127.0.0.1", silent.getLocalPort(), "silent", "postgres", null));
      long started = System.nanoTime();
      Exception refused = assertThrows(Exception.class,
          () -> Migrations.migrate(vertx, config).await(3L * Migrations.LOGIN_TIMEOUT_S, TimeUnit.SECONDS));
      String message = String.valueOf(refused.getMessage());
      assertTrue(message.contains("cannot migrate") && message.contains("PORTCULLIS_PG_URL"), message);
      assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(3L * Migrations.LOGIN_TIMEOUT_S));
      assertFalse(accepted.isEmpty(), "the migration reached the silent server");
      acceptor.interrupt();
      for (java.net.Socket socket : accepted) {
        socket.close();
      }
    }
  }

  private static GatewayConfig config(PgUrl database) throws Exception {
    JsonObject overrides = new JsonObject()
        .put(GatewayConfig.PG_URL, database.toUrl())
        .put(GatewayConfig.REDIS_URL, TestBackends.redisUrl())
        .put(GatewayConfig.MASTER_KEY, TestGateway.TEST_MASTER_KEY)
        .put(GatewayConfig.ISSUER, "http://localhost:8080")
        .put(GatewayConfig.ADMIN_KEY, TestGateway.ADMIN_KEY);
    return ConfigLoader.load(vertx, overrides, false).await(10, TimeUnit.SECONDS);
  }

  private static void execute(PgUrl database, String sql) throws Exception {
    try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
         Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }
}
