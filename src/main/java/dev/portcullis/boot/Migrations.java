package dev.portcullis.boot;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Boot-time schema work over JDBC, always on a worker thread, never on an event loop. */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {
  }

  public static Future<Void> migrate(Vertx vertx, GatewayConfig config) {
    PgUrl url = config.pgUrl();
    return vertx.executeBlocking(() -> {
      try {
        var result = Flyway.configure()
            .dataSource(url.jdbcUrl(), url.user(), url.password())
            .locations("classpath:db/migration")
            .connectRetries(0)
            .load()
            .migrate();
        LOG.info("schema at version {} ({} migrations applied)", result.targetSchemaVersion, result.migrationsExecuted);
        return null;
      } catch (FlywayException e) {
        throw new IllegalStateException("cannot migrate " + url.redacted() + " (" + GatewayConfig.PG_URL + "): "
            + rootMessage(e));
      }
    }, false);
  }

  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return message.lines().findFirst().orElse(message);
  }

  /**
   * Creates the configured database when it does not exist (dev mode and tests; production gets one made).
   * Blocking: call it from a worker or a test thread.
   */
  public static void createDatabaseIfMissing(PgUrl url) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", url.user());
    if (url.password() != null) {
      props.setProperty("password", url.password());
    }
    props.setProperty("connectTimeout", "3");
    try (Connection connection = DriverManager.getConnection(url.withDatabase("postgres").jdbcUrl(), props);
         PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      exists.setString(1, url.database());
      try (ResultSet rows = exists.executeQuery()) {
        if (rows.next()) {
          return;
        }
      }
      try (Statement create = connection.createStatement()) {
        create.execute("CREATE DATABASE \"" + url.database().replace("\"", "\"\"") + "\"");
        LOG.info("created database {}", url.database());
      } catch (SQLException e) {
        if (!"42P04".equals(e.getSQLState())) { // created concurrently by another process: fine
          throw e;
        }
      }
    }
  }
}
