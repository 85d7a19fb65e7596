package dev.portcullis.user;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Deleting users at scale")
class UserDeletionIndexTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;

  /**
   * Postgres finds a deleted user's rows in each table whose foreign key refers to users, by user_id alone. Without
   * an index for that lookup each deleted user was a full scan of sessions: an app of 300,000 users took hours to
   * delete, holding its rows locked (scale probe). With sequential scans priced out, a lookup no index serves still
   * plans as one.
   */
  @Test
  @DisplayName("every table that refers to users finds a user's rows through an index")
  void foreignKeyLookupsUseAnIndex() throws Exception {
    try (Connection db = gateway.jdbc(); Statement statement = db.createStatement()) {
      statement.execute("SET enable_seqscan = off");
      List<String> referring = new java.util.ArrayList<>();
      try (ResultSet rows = statement.executeQuery("SELECT conrelid::regclass::text, a.attname FROM pg_constraint c "
          + "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
          + "WHERE c.confrelid = 'users'::regclass AND c.contype = 'f'")) {
        while (rows.next()) {
          referring.add(rows.getString(1) + "." + rows.getString(2));
        }
      }
      assertFalse(referring.isEmpty());
      for (String column : referring) {
        String table = column.substring(0, column.indexOf('.'));
        String name = column.substring(column.indexOf('.') + 1);
        StringBuilder plan = new StringBuilder();
        try (ResultSet rows = statement.executeQuery("EXPLAIN SELECT 1 FROM " + table + " WHERE " + name
            + " = '00000000-0000-0000-0000-000000000000'")) {
          while (rows.next()) {
            plan.append(rows.getString(1)).append('\n');
          }
        }
        assertFalse(plan.toString().contains("Seq Scan"), column + " has no index for the lookup:\n" + plan);
      }
    }
  }
}
