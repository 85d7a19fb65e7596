package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The audit writer appends a batch in one statement from the chain heads it committed last; when another
 * process moved a head it writes nothing and tries again from the heads it read (then under lock). These tests
 * make that guess wrong on purpose.
 */
@DisplayName("The audit log's one-statement append and its fallback")
class AuditAppendTest {

  private static final String CONFLICTS = "portcullis_audit_conflicts_total";

  private static AuditEvent event(UUID app, String requestId) {
    return AuditEvent.of(AuditEvent.TOKEN_REFRESHED, app, requestId, "203.0.113.7");
  }

  private static void record(TestGateway gateway, AuditEvent... events) {
    AuditTrail.record(gateway, events);
  }

  private static void assertChain(TestGateway gateway, UUID app, List<String> requestIds) {
    List<JsonObject> rows = AuditTrail.rows(gateway, app);
    assertEquals(LongStream.rangeClosed(1, rows.size()).boxed().toList(), rows.stream().map(r -> r.getLong("seq")).toList());
    assertEquals(requestIds, rows.stream().map(r -> r.getString("request_id")).toList());
    ApiResponse verified = AuditTrail.verify(gateway, app);
    assertEquals(true, verified.json().getBoolean("ok"), verified.body());
    assertEquals(rows.size(), verified.json().getInteger("events_checked"));
  }

  private static double conflicts(TestGateway gateway) {
    return gateway.management().get("/metrics").body().lines()
        .filter(line -> line.startsWith(CONFLICTS + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(CONFLICTS.length() + 1)))
        .findFirst()
        .orElse(0);
  }

  @Test
  @DisplayName("two processes taking turns on one chain each find the head moved by the other, append again from it, and the chain verifies")
  void processesTakingTurns() {
    try (TestGateway first = TestGateway.start(); TestGateway second = first.sibling()) {
      UUID app = UUID.randomUUID();
      double before = conflicts(first) + conflicts(second);
      List<String> turns = IntStream.range(0, 20).mapToObj(i -> "turn-" + i).toList();
      for (int i = 0; i < turns.size(); i++) {
        record(i % 2 == 0 ? first : second, event(app, turns.get(i)));
      }

      assertChain(first, app, turns);
      // Each process's first turn reads the head under lock; every later one first guesses a head the other has moved.
      assertEquals(18, conflicts(first) + conflicts(second) - before);
    }
  }

  @Test
  @DisplayName("a batch over two apps, one of whose heads another process moved, writes nothing of either, then is stored whole")
  void oneMovedHeadStopsTheWholeAppend() {
    try (TestGateway first = TestGateway.start(); TestGateway second = first.sibling()) {
      UUID unmoved = UUID.randomUUID();
      UUID moved = UUID.randomUUID();
      record(first, event(unmoved, "a-1"), event(moved, "b-1"));
      record(second, event(moved, "b-2"));
      double before = conflicts(first);
      record(first, event(unmoved, "a-2"), event(moved, "b-3"));
      record(first, event(unmoved, "a-3"), event(moved, "b-4"));

      assertEquals(1, conflicts(first) - before);
      assertChain(first, unmoved, List.of("a-1", "a-2", "a-3"));
      assertChain(second, moved, List.of("b-1", "b-2", "b-3", "b-4"));
    }
  }

  @Test
  @DisplayName("a batch that timed out and then committed leaves no stale head behind: the next batch chains after its events")
  void timedOutBatchIsNotGuessedPast() throws Exception {
    try (TestGateway gateway = TestGateway.start(new JsonObject().put(GatewayConfig.BACKEND_TIMEOUT_MS, 1000))) {
      AuditLog log = new AuditLog(new Bus(gateway.vertx(), gateway.config()));
      UUID app = UUID.randomUUID();
      record(gateway, event(app, "before"));
      double before = conflicts(gateway);

      try (Connection holder = gateway.jdbc()) {
        holder.setAutoCommit(false);
        try (PreparedStatement lock = holder.prepareStatement("SELECT seq FROM audit_chain_heads WHERE app_id = ? FOR UPDATE")) {
          lock.setObject(1, app);
          lock.executeQuery().close();
        }
        // The append waits for the head's lock past the backend timeout: the sender gets 503, the outcome is unknown.
        Throwable failure = log.record(event(app, "timed-out")).toCompletionStage().toCompletableFuture()
            .handle((ok, failed) -> failed).get(20, TimeUnit.SECONDS);
        assertTrue(failure instanceof ApiException api && api.code() == ErrorCode.UNAVAILABLE, String.valueOf(failure));
        holder.commit();
      }
      // Released, the statement goes on and commits: the chain moved past what the writer last knew.
      Await.until("the timed-out batch to commit", Duration.ofSeconds(15), () -> AuditTrail.rows(gateway, app).size() == 2);
      record(gateway, event(app, "after"));

      assertChain(gateway, app, List.of("before", "timed-out", "after"));
      assertEquals(0, conflicts(gateway) - before, "the failed batch's head was forgotten, not guessed");
    }
  }
}
