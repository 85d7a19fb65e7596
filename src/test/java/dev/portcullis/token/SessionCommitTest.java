package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.portcullis.core.Postgres;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The session statements commit without a WAL flush of their own, for their own transaction only: the next
 * statement on the same connection (an audit batch, whose flush makes them durable) must commit synchronously.
 */
@DisplayName("Session statements and the commit mode of their connection")
class SessionCommitTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static Postgres oneConnection;

  @BeforeAll
  static void start() {
    oneConnection = Postgres.create(gateway.vertx(), gateway.config(), "session-commit-test", 1);
  }

  @AfterAll
  static void stop() throws Exception {
    oneConnection.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("after a sign-in and a rotation the connection commits synchronously again, and both are stored")
  void commitModeDoesNotOutliveTheStatement() throws Exception {
    UUID appId = UUID.fromString(gateway.createApp("session-commit").getString("app_id"));
    SessionStore sessions = new SessionStore(oneConnection);
    byte[] first = RefreshTokens.hash(RefreshTokens.newToken());
    byte[] second = RefreshTokens.hash(RefreshTokens.newToken());
    UUID sessionId = UUID.randomUUID();

    SessionStore.SignedIn signedIn = sessions.signIn("una@example.com", null, appId, UUID.randomUUID(), sessionId, 3600,
        first, null, "203.0.113.7").await(10, TimeUnit.SECONDS);
    assertNotNull(signedIn.session());
    assertEquals("on", synchronousCommit());

    SessionStore.SessionRow rotated = sessions.rotate(first, second, appId, null).await(10, TimeUnit.SECONDS).session();
    assertNotNull(rotated);
    assertEquals(sessionId, rotated.id());
    assertEquals("on", synchronousCommit());

    Row spent = oneConnection.run(pool -> pool.preparedQuery(
            "SELECT spent_at IS NOT NULL AS spent, successor_hash FROM refresh_tokens WHERE token_hash = $1")
        .execute(Tuple.of(Buffer.buffer(first)))).await(10, TimeUnit.SECONDS).iterator().next();
    assertEquals(true, spent.getBoolean("spent"));
    assertArrayEquals(second, spent.getBuffer("successor_hash").getBytes());
  }

  private static String synchronousCommit() throws Exception {
    return oneConnection.run(pool -> pool.query("SHOW synchronous_commit").execute())
        .await(10, TimeUnit.SECONDS).iterator().next().getString(0);
  }
}
