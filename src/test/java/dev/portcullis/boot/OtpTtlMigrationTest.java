package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.TestBackends;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Migration V41")
class OtpTtlMigrationTest {

  @Test
  @DisplayName("clamps a stored otp_ttl above 600 seconds to 600 and leaves shorter ones alone")
  void clampsStoredOtpTtl() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    Flyway.configure()
        .dataSource(database.jdbcUrl(), database.user(), database.password())
        .locations("classpath:" + MigrationScripts.LOCATION)
        .target("40")
        .load()
        .migrate();
    try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
         Statement sql = connection.createStatement()) {
      sql.execute("INSERT INTO apps (id, name, slug, secret_hash, callback_urls, settings) VALUES "
          + "(gen_random_uuid(), 'Long', 'long-ttl', '\\x00', '[]', '{\"otp_ttl\": 3600, \"otp_length\": 8}'), "
          + "(gen_random_uuid(), 'Short', 'short-ttl', '\\x00', '[]', '{\"otp_ttl\": 120}')");
    }
    Flyway.configure()
        .dataSource(database.jdbcUrl(), database.user(), database.password())
        .locations("classpath:" + MigrationScripts.LOCATION)
        .outOfOrder(true)
        .load()
        .migrate();
    try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
         Statement sql = connection.createStatement();
         ResultSet rows = sql.executeQuery("SELECT slug, settings->>'otp_ttl' AS ttl, settings->>'otp_length' AS len "
             + "FROM apps WHERE slug IN ('long-ttl', 'short-ttl') ORDER BY slug")) {
      rows.next();
      assertEquals("600", rows.getString("ttl"));
      assertEquals("8", rows.getString("len"));
      rows.next();
      assertEquals("120", rows.getString("ttl"));
    }
  }
}
