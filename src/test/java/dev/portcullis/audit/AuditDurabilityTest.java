package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TcpProxy;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The audit log's durability")
class AuditDurabilityTest {

  private static AuditEvent event(UUID app, String requestId) {
    return AuditEvent.of(AuditEvent.OTP_SENT, app, requestId, "192.0.2.1");
  }

  private static void assertContiguous(List<JsonObject> rows) {
    assertEquals(LongStream.rangeClosed(1, rows.size()).boxed().toList(), rows.stream().map(r -> r.getLong("seq")).toList());
  }

  @Test
  @DisplayName("a gateway stopped right after a burst of requests has stored the audit event of every 2xx answer")
  void everyTwoHundredIsStored() {
    try (TestGateway gateway = TestGateway.start()) {
      List<CompletableFuture<ApiResponse>> burst = IntStream.range(0, 24)
          .mapToObj(i -> gateway.http().postAsync("/v1/apps",
              new JsonObject().put("name", "Burst " + i).put("slug", "burst-" + i),
              "Authorization", "Bearer " + TestGateway.ADMIN_KEY))
          .toList();
      Await.until("the first answer", Duration.ofSeconds(20), () -> burst.stream().anyMatch(CompletableFuture::isDone));
      gateway.stop();

      List<UUID> acknowledged = new ArrayList<>();
      for (CompletableFuture<ApiResponse> request : burst) {
        ApiResponse response = request.handle((ok, failed) -> ok).join();
        if (response != null && response.status() / 100 == 2) {
          acknowledged.add(UUID.fromString(response.json().getString("app_id")));
        }
      }
      assertFalse(acknowledged.isEmpty());
      for (UUID app : acknowledged) {
        assertEquals(List.of(AuditEvent.APP_CREATED), AuditTrail.types(gateway, app), "app " + app);
      }
    }
  }

  @Test
  @DisplayName("stopping the gateway commits every event it holds: each acknowledged record is stored, chains stay whole")
  void stopCommitsWhatItHolds() throws Exception {
    try (TestGateway gateway = TestGateway.start()) {
      AuditLog log = new AuditLog(new Bus(gateway.vertx(), gateway.config()));
      List<UUID> apps = List.of(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID());
      List<Future<Void>> sent = IntStream.range(0, 1500)
          .mapToObj(i -> log.record(event(apps.get(i % 3), "burst-" + i)))
          .toList();
      gateway.stop();
      Future.join(sent).otherwiseEmpty().await(30, TimeUnit.SECONDS);

      Set<String> acknowledged = new HashSet<>();
      for (int i = 0; i < sent.size(); i++) {
        if (sent.get(i).succeeded()) {
          acknowledged.add("burst-" + i);
        }
      }
      Set<String> stored = new HashSet<>();
      for (UUID app : apps) {
        List<JsonObject> rows = AuditTrail.rows(gateway, app);
        assertContiguous(rows);
        rows.forEach(row -> stored.add(row.getString("request_id")));
      }
      assertFalse(acknowledged.isEmpty());
      assertTrue(stored.containsAll(acknowledged),
          (acknowledged.size() - stored.size()) + " acknowledged events are missing");
    }
  }

  @Test
  @DisplayName("two gateway processes writing the same apps at once leave one valid chain per app")
  void twoProcessesOneChain() throws Exception {
    // This test is about the chains, not latency: a loaded CI machine must not turn a slow batch into a 503.
    JsonObject patient = new JsonObject().put(GatewayConfig.BACKEND_TIMEOUT_MS, 10_000);
    try (TestGateway first = TestGateway.start(patient); TestGateway second = first.sibling()) {
      List<AuditLog> logs = List.of(new AuditLog(new Bus(first.vertx(), first.config())), new AuditLog(new Bus(second.vertx(), second.config())));
      List<UUID> apps = List.of(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID());
      List<Future<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 900; i++) {
        UUID app = apps.get(i % 3);
        UUID other = apps.get((i + 1) % 3);
        AuditLog log = logs.get(i % 2);
        // Some messages span two apps, in both orders, so batches lock several heads.
        sent.add(i % 5 == 0
            ? log.record(List.of(event(app, "two-" + i), event(other, "two-" + i + "b")))
            : log.record(event(app, "two-" + i)));
      }
      Future.all(sent).await(30, TimeUnit.SECONDS);

      int total = 0;
      for (UUID app : apps) {
        List<JsonObject> rows = AuditTrail.rows(first, app);
        assertContiguous(rows);
        total += rows.size();
        ApiResponse verified = AuditTrail.verify(second, app);
        assertEquals(true, verified.json().getBoolean("ok"), verified.body());
        assertEquals(rows.size(), verified.json().getInteger("events_checked"));
      }
      assertEquals(900 + 180, total);
    }
  }

  @Test
  @DisplayName("a record whose connection is lost under its write is written again and stored once (h67: a login's "
      + "session committed, its events were lost with the connection, and it answered 503)")
  void lostConnectionIsWrittenAgain() throws Exception {
    try (TestGateway gateway = TestGateway.start();
         Connection holder = gateway.jdbc();
         Connection killer = gateway.jdbc()) {
      UUID app = UUID.randomUUID();
      AuditTrail.record(gateway, event(app, "before"));
      holder.setAutoCommit(false);
      try (PreparedStatement lock = holder.prepareStatement(
          "SELECT seq FROM audit_chain_heads WHERE app_id = ? FOR UPDATE")) {
        lock.setObject(1, app);
        lock.execute();
      }
      CompletableFuture<Void> recorded = new AuditLog(new Bus(gateway.vertx(), gateway.config()))
          .record(List.of(event(app, "lost"))).toCompletionStage().toCompletableFuture();
      int first = waitingWriter(gateway, -1);
      try (PreparedStatement terminate = killer.prepareStatement("SELECT pg_terminate_backend(?)")) {
        terminate.setInt(1, first);
        terminate.execute();
      }
      waitingWriter(gateway, first);
      holder.commit();
      recorded.get(20, TimeUnit.SECONDS);
      List<JsonObject> rows = AuditTrail.rows(gateway, app);
      assertEquals(List.of("before", "lost"), rows.stream().map(row -> row.getString("request_id")).toList());
      assertContiguous(rows);
    }
  }

  /** The pid of the audit writer's backend waiting for the chain head's lock, other than {@code not}. */
  private static int waitingWriter(TestGateway gateway, int not) {
    String waiting = "SELECT coalesce(max(pid), -1) FROM pg_stat_activity WHERE "
        + "datname = current_database() AND wait_event_type = 'Lock' "
        + "AND query LIKE '%audit_chain_heads%' AND pid <> " + not;
    Await.until("an audit write waiting for the head", Duration.ofSeconds(10), () -> gateway.count(waiting) > 0);
    return (int) gateway.count(waiting);
  }

  @Test
  @DisplayName("while Postgres is unreachable a record fails with 503 unavailable, and the log recovers when it returns")
  void postgresDownIsUnavailable() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    try (TcpProxy proxy = TcpProxy.start(database.host(), database.port(), TestBackends.freePort());
         TestGateway gateway = TestGateway.start(new JsonObject().put(GatewayConfig.PG_URL, proxy.pgUrl(database)))) {
      AuditLog log = new AuditLog(new Bus(gateway.vertx(), gateway.config()));
      UUID app = UUID.randomUUID();
      log.record(event(app, "before")).await(10, TimeUnit.SECONDS);

      proxy.cut();
      Future<Void> during = log.record(event(app, "during"));
      Throwable failure = during.toCompletionStage().toCompletableFuture().handle((ok, failed) -> failed).join();
      ApiException unavailable = (ApiException) failure;
      assertEquals(ErrorCode.UNAVAILABLE, unavailable.code());
      assertEquals(503, unavailable.code().status());

      proxy.restore();
      Await.until("the audit log to store again", Duration.ofSeconds(15), () -> log.record(event(app, "after"))
          .toCompletionStage().toCompletableFuture().handle((ok, failed) -> failed == null).join());

      List<String> stored = requestIds(database, app);
      assertEquals("before", stored.get(0));
      assertFalse(stored.contains("during"), stored.toString());
      assertEquals("after", stored.get(stored.size() - 1));
      assertEquals(true, AuditTrail.verify(gateway, app).json().getBoolean("ok"));
    }
  }

  private static List<String> requestIds(PgUrl database, UUID app) throws Exception {
    try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
         PreparedStatement query = connection.prepareStatement(
             "SELECT request_id FROM audit_events WHERE app_id = ? ORDER BY seq")) {
      query.setObject(1, app);
      List<String> ids = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          ids.add(rows.getString(1));
        }
      }
      return ids;
    }
  }
}
