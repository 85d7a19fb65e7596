package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.AuditEvent;
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
    UUID app = UUID.randomUUID();
    // The staged event's insert into the chain counts itself, then takes 0.4 s: the stop comes in the middle.
    ChainSeed.execute(gateway,
        "CREATE SEQUENCE outbox_inserts",
        "CREATE FUNCTION slow_outbox_event() RETURNS trigger LANGUAGE plpgsql AS "
            + "$$ BEGIN PERFORM nextval('outbox_inserts'); PERFORM pg_sleep(0.4); RETURN NEW; END $$",
        "CREATE TRIGGER slow_outbox_event BEFORE INSERT ON audit_events FOR EACH ROW "
            + "WHEN (NEW.request_id = 'outbox-stop') EXECUTE FUNCTION slow_outbox_event()");
    String event = AuditEvent.of(AuditEvent.TOKEN_REFRESHED, app, "outbox-stop", "192.0.2.1").toJson().encode();
    ChainSeed.execute(gateway, "INSERT INTO audit_outbox (event_id, event, staged_at) VALUES ('" + UUID.randomUUID()
        + "', '" + event + "'::jsonb, now() - interval '1 minute')");
    Await.until("the drain storing the staged event", Duration.ofSeconds(10), () -> gateway.count(
        "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM outbox_inserts") >= 1);

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
