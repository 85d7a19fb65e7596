package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestGateway;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The audit outbox backs off while the audit log refuses its events, and loses none of them")
class AuditOutboxBackoffTest {

  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start();
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  @DisplayName("while inserts fail the drain waits longer after each failure, and once they succeed the staged event reaches the chain")
  void backsOffThenDelivers() throws SQLException {
    // Every try to store the staged event counts itself (a sequence survives the rollback) and is refused.
    UUID app = ChainSeed.stageWatched(gateway, "outbox-backoff", "outbox_tries",
        "RAISE EXCEPTION 'audit store refuses';");

    Await.until("the first try", Duration.ofSeconds(10), () -> tries() >= 1);
    long first = System.nanoTime();
    Await.until("five tries", Duration.ofSeconds(20), () -> tries() >= 5);
    long elapsedMs = (System.nanoTime() - first) / 1_000_000;

    // Waits of 200, 400, 800 and 1600 ms between the five tries (each rounded up to the 100 ms tick), not 100 ms each.
    assertTrue(elapsedMs >= 2_500, "five tries within " + elapsedMs + " ms");
    assertEquals(1, gateway.count("SELECT count(*) FROM audit_outbox WHERE event->>'request_id' = 'outbox-backoff'"));

    ChainSeed.execute(gateway, "DROP TRIGGER outbox_tries_event ON audit_events");
    Await.until("the staged event in the chain", Duration.ofSeconds(15),
        () -> gateway.count("SELECT count(*) FROM audit_events WHERE app_id = '" + app + "'") == 1);
    Await.until("the outbox emptied", Duration.ofSeconds(5),
        () -> gateway.count("SELECT count(*) FROM audit_outbox WHERE event->>'request_id' = 'outbox-backoff'") == 0);
  }

  private static long tries() {
    return ChainSeed.tries(gateway, "outbox_tries");
  }
}
