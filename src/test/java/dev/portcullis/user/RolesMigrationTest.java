package dev.portcullis.user;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.TestBackends;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The roles migration on a database with users")
class RolesMigrationTest {

  @Test
  @DisplayName("gives every existing user its app's default roles and every existing app the five built-ins")
  void existingUsersGetDefaultRoles() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    flyway(database, "50").migrate();
    try (Connection db = connect(database); Statement sql = db.createStatement()) {
      sql.execute("INSERT INTO apps (id, name, slug, secret_hash, settings) VALUES "
          + "('00000000-0000-0000-0000-0000000000a1', 'Plain', 'plain', '\\x00', '{}'), "
          + "('00000000-0000-0000-0000-0000000000a2', 'Shop', 'shop', '\\x00', '{\"default_roles\": [\"SELLER\", \"3\"]}')");
      sql.execute("INSERT INTO users (id, app_id, email) VALUES "
          + "('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000a1', 'a@example.com'), "
          + "('00000000-0000-0000-0000-0000000000b2', '00000000-0000-0000-0000-0000000000a2', 'b@example.com')");
    }
    flyway(database, "latest").migrate();
    try (Connection db = connect(database); Statement sql = db.createStatement()) {
      assertEquals(List.of("USER"), roles(sql, "00000000-0000-0000-0000-0000000000b1"));
      assertEquals(List.of("SELLER", "BUYER"), roles(sql, "00000000-0000-0000-0000-0000000000b2"));
      try (ResultSet rows = sql.executeQuery("SELECT count(*) FROM roles WHERE builtin "
          + "AND app_id = '00000000-0000-0000-0000-0000000000a2'")) {
        rows.next();
        assertEquals(5, rows.getInt(1));
      }
    }
  }

  private static List<String> roles(Statement sql, String userId) throws SQLException {
    List<String> names = new ArrayList<>();
    try (ResultSet rows = sql.executeQuery("SELECT r.name FROM user_roles ur JOIN roles r "
        + "ON r.app_id = ur.app_id AND r.id = ur.role_id WHERE ur.user_id = '" + userId + "' ORDER BY r.id")) {
      while (rows.next()) {
        names.add(rows.getString(1));
      }
    }
    return names;
  }

  private static Flyway flyway(PgUrl database, String target) {
    return TestBackends.flyway(database, target);
  }

  private static Connection connect(PgUrl database) throws java.sql.SQLException {
    return TestBackends.connect(database);
  }
}
