package dev.portcullis.housekeeping;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Housekeeping: expired sessions, refresh tokens and unpublished keys go, one pod at a time")
class HousekeepingTest {

  private static TestGateway gateway;
  private static UUID appId;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(new JsonObject()
        .put(GatewayConfig.HOUSEKEEPING_INTERVAL_MS, 200)
        .put(GatewayConfig.HOUSEKEEPING_BATCH_SIZE, 2));
    appId = UUID.fromString(gateway.createApp("housekeeping").getString("app_id"));
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  @DisplayName("deletes expired sessions with their tokens and retired keys past publication, in batches, and keeps live ones")
  void sweeps() throws Exception {
    UUID user = user("sweep@example.com");
    for (int i = 0; i < 5; i++) {
      session(user, "-1 hour");
    }
    UUID live = session(user, "1 hour");
    update("INSERT INTO signing_keys (kid, app_id, public_pem, private_enc, created_at, retired_at, publish_until) "
        + "VALUES ('old-kid', ?, 'pem', '\\x00', now() - interval '3 hours', now() - interval '2 hours', "
        + "now() - interval '1 hour')", appId);
    // Its publication is over, but it was made within the hour: it counts toward the hourly limit of keys made.
    update("INSERT INTO signing_keys (kid, app_id, public_pem, private_enc, retired_at, publish_until) "
        + "VALUES ('recent-kid', ?, 'pem', '\\x00', now() - interval '30 minutes', now() - interval '1 minute')",
        appId);
    update("INSERT INTO signing_keys (kid, app_id, public_pem, private_enc, retired_at, publish_until) "
        + "VALUES ('published-kid', ?, 'pem', '\\x00', now(), now() + interval '1 hour')", appId);

    update("INSERT INTO conversations (id, app_id, user_key, return_url, query, status, expires_at) VALUES "
        + "('00000000-0000-0000-0000-0000000000c1', ?, 'u', 'https://x/cb', '{}', 'CREATED', now() - interval '31 days'), "
        + "('00000000-0000-0000-0000-0000000000c2', ?, 'u', 'https://x/cb', '{}', 'FINISHED', now() - interval '29 days'), "
        + "('00000000-0000-0000-0000-0000000000c3', ?, 'u', 'https://x/cb', '{}', 'CREATED', now() - interval '25 hours'), "
        + "('00000000-0000-0000-0000-0000000000c4', ?, 'u', 'https://x/cb', '{}', 'CREATED', now() - interval '23 hours')",
        appId, appId, appId, appId);

    Await.until("expired rows deleted", Duration.ofSeconds(10),
        () -> count("SELECT count(*) FROM sessions WHERE expires_at < now()") == 0
            && count("SELECT count(*) FROM signing_keys WHERE kid = 'old-kid'") == 0
            && count("SELECT count(*) FROM conversations WHERE id = '00000000-0000-0000-0000-0000000000c1'") == 0
            && count("SELECT count(*) FROM conversations WHERE id = '00000000-0000-0000-0000-0000000000c3'") == 0);
    assertEquals(1, count("SELECT count(*) FROM conversations WHERE id = '00000000-0000-0000-0000-0000000000c4'"),
        "a conversation no browser opened is kept a day after it expired, not 30 (nothing to read; rows by the million)");
    assertEquals(1, count("SELECT count(*) FROM conversations WHERE id = '00000000-0000-0000-0000-0000000000c2'"),
        "a conversation expired 29 days ago is still readable");
    assertEquals(1, count("SELECT count(*) FROM sessions WHERE id = '" + live + "'"));
    assertEquals(1, count("SELECT count(*) FROM refresh_tokens WHERE session_id = '" + live + "'"));
    assertEquals(0, count("SELECT count(*) FROM refresh_tokens WHERE expires_at < now()"));
    assertEquals(1, count("SELECT count(*) FROM signing_keys WHERE kid = 'published-kid'"));
    assertEquals(1, count("SELECT count(*) FROM signing_keys WHERE kid = 'recent-kid'"),
        "a key made within the hour is kept until the hour is over");
  }

  @Test
  @DisplayName("does nothing while another process holds the housekeeping lock")
  void onePodAtATime() throws Exception {
    UUID user = user("locked@example.com");
    try (Connection other = gateway.jdbc(); Statement lock = other.createStatement()) {
      lock.execute("SELECT pg_advisory_lock(30, 1)");
      UUID expired = session(user, "-1 hour");
      // Several runs are due while the lock is held; none may delete.
      long until = System.nanoTime() + Duration.ofMillis(1_000).toNanos();
      Await.until("a second of runs", Duration.ofSeconds(3), () -> System.nanoTime() > until);
      assertEquals(1, count("SELECT count(*) FROM sessions WHERE id = '" + expired + "'"));
      lock.execute("SELECT pg_advisory_unlock(30, 1)");
      Await.until("the expired session deleted once the lock is free", Duration.ofSeconds(10),
          () -> count("SELECT count(*) FROM sessions WHERE id = '" + expired + "'") == 0);
    }
  }

  private static UUID user(String email) throws Exception {
    UUID id = UUID.randomUUID();
    update("INSERT INTO users (id, app_id, email) VALUES (?, ?, ?)", id, appId, email);
    return id;
  }

  private static UUID session(UUID user, String offset) throws Exception {
    UUID id = UUID.randomUUID();
    // One statement: the job may run between two, and would delete an expired session before its token arrives.
    update("WITH s AS (INSERT INTO sessions (id, app_id, user_id, expires_at) "
        + "VALUES (?, ?, ?, now() + interval '" + offset + "') RETURNING id, expires_at) "
        + "INSERT INTO refresh_tokens (token_hash, session_id, expires_at) "
        + "SELECT sha256(random()::text::bytea), id, expires_at FROM s", id, appId, user);
    return id;
  }

  private static void update(String sql, Object... args) throws Exception {
    try (Connection connection = gateway.jdbc(); PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      statement.executeUpdate();
    }
  }

  private static long count(String sql) {
    return gateway.count(sql);
  }
}
