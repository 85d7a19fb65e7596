package dev.portcullis.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.TestBackends;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The migration that ties finished conversations to their users")
class ConversationUsersMigrationTest {

  private static final String APP = "00000000-0000-0000-0000-0000000000b1";
  private static final String USER = "00000000-0000-0000-0000-0000000000b2";

  @Test
  @DisplayName("conversations finished before it find their user by their token or the email they name, and go with them")
  void finishedConversationsFindTheirUser() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    TestBackends.flyway(database, "105").migrate();
    String token = "00000000-0000-0000-0000-0000000000d1";
    try (Connection db = TestBackends.connect(database); Statement sql = db.createStatement()) {
      sql.execute("INSERT INTO apps (id, name, slug, secret_hash, settings) VALUES ('" + APP + "', 'C', 'c', '\\x00', '{}')");
      sql.execute("INSERT INTO users (id, app_id, email) VALUES ('" + USER + "', '" + APP + "', 'ana@example.com')");
      sql.execute("INSERT INTO conversation_credentials (app_id, user_id, method, token, challenge) VALUES ('" + APP
          + "', '" + USER + "', 'email', '" + token + "', '00000000-0000-0000-0000-0000000000d2')");
      sql.execute("INSERT INTO conversations (id, app_id, user_key, return_url, query, status, result, expires_at) VALUES "
          + row("e1", "{\"auth\": {\"status\": \"FINISHED\", \"token\": \"" + token + "\"}}") + ", "
          + row("e2", "{\"identity\": {\"EMAIL\": \"ana@example.com\", \"PERSON_NAME_FIRSTNAME\": \"Ana\"}}") + ", "
          + row("e3", "{\"identity\": {\"EMAIL\": \"someone-else@example.com\"}}"));
    }
    TestBackends.flyway(database, "latest").migrate();
    try (Connection db = TestBackends.connect(database); Statement sql = db.createStatement()) {
      assertEquals(2, count(sql, "SELECT count(*) FROM conversations WHERE user_id = '" + USER + "'"));
      sql.execute("DELETE FROM users WHERE id = '" + USER + "'");
      assertEquals(1, count(sql, "SELECT count(*) FROM conversations"), "the user's two went with them");
    }
  }

  private static String row(String suffix, String result) {
    return "('00000000-0000-0000-0000-0000000000" + suffix + "', '" + APP + "', 'k', 'https://x.example/r', '{}', "
        + "'FINISHED', '" + result + "', now() + interval '1 hour')";
  }

  private static long count(Statement sql, String query) throws Exception {
    try (ResultSet rows = sql.executeQuery(query)) {
      rows.next();
      return rows.getLong(1);
    }
  }
}
