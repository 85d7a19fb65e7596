package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.Await;
import dev.portcullis.testing.LogCapture;
import dev.portcullis.testing.TestGateway;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A stop lets the outbox drain under way finish")
class AuditOutboxStopTest {

  @Test
  @DisplayName("a drain under way when the gateway stops moves its events into the chain, and nothing is logged as "
      + "Postgres being unavailable (h94: a clean stop warned so, now and then)")
  void stopWaitsForTheDrain() throws Exception {
    TestGateway gateway = TestGateway.start();
    // The staged event's insert into the chain counts itself, then takes 0.4 s: the stop comes in the middle.
    UUID app = ChainSeed.stageWatched(gateway, "outbox-stop", "outbox_inserts", "PERFORM pg_sleep(0.4); RETURN NEW;");
    Await.until("the drain storing the staged event", Duration.ofSeconds(10),
        () -> ChainSeed.tries(gateway, "outbox_inserts") >= 1);

    List<String> lines;
    try (LogCapture log = new LogCapture()) {
      gateway.close();
      lines = log.lines();
    }
    assertEquals(List.of(), lines.stream().filter(line -> line.contains("could not be moved into the chain")).toList());
    assertEquals(1, gateway.count("SELECT count(*) FROM audit_events WHERE app_id = '" + app + "'"));
    assertEquals(0, gateway.count("SELECT count(*) FROM audit_outbox WHERE event->>'request_id' = 'outbox-stop'"));
  }
}
