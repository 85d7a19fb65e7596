package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.TestBackends;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The migration that keeps earlier releases' certificate keys published")
class CertificateKeysMigrationTest {

  private static final String APP = "00000000-0000-0000-0000-0000000000a1";

  @Test
  @DisplayName("a key of an app with licence policies stays published for its longest offline_ttl plus a day; others keep their dates")
  void keysOfLicensingAppsStayPublished() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    flyway(database, "104").migrate();
    try (Connection db = connect(database); Statement sql = db.createStatement()) {
      sql.execute("INSERT INTO apps (id, name, slug, secret_hash, settings) VALUES ('" + APP + "', 'L', 'l', '\\x00', '{}')");
      sql.execute("INSERT INTO license_policies (id, app_id, name, max_devices, offline_ttl, max_activations_per_day) "
          + "VALUES ('00000000-0000-0000-0000-0000000000c1', '" + APP + "', 'p', 1, 604800, 20)");
      sql.execute("INSERT INTO signing_keys (kid, app_id, public_pem, private_enc, retired_at, publish_until) VALUES "
          + "('retired', '" + APP + "', 'pem', '\\x00', now(), now() + interval '16 minutes'), "
          + "('current', '" + APP + "', 'pem', '\\x00', NULL, NULL), "
          + "('console-old', '00000000-0000-0000-0000-000000000001', 'pem', '\\x00', now(), now() + interval '16 minutes')");
    }
    flyway(database, "latest").migrate();
    try (Connection db = connect(database); Statement sql = db.createStatement()) {
      long week = 604800 + 86400;
      assertTrue(secondsFromNow(sql, "publish_until", "retired") >= week - 60, "the retired key covers the certificates");
      assertTrue(secondsFromNow(sql, "publish_floor", "current") >= week - 60, "the current key too, once retired");
      assertTrue(secondsFromNow(sql, "publish_until", "console-old") <= 16 * 60, "an app without licences keeps its dates");
    }
  }

  private static long secondsFromNow(Statement sql, String column, String kid) throws Exception {
    try (ResultSet row = sql.executeQuery("SELECT extract(epoch FROM " + column + " - now())::bigint FROM signing_keys "
        + "WHERE kid = '" + kid + "'")) {
      row.next();
      return row.getLong(1);
    }
  }

  private static Flyway flyway(PgUrl database, String target) {
    return TestBackends.flyway(database, target);
  }

  private static Connection connect(PgUrl database) throws java.sql.SQLException {
    return TestBackends.connect(database);
  }
}
