package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Audit before acknowledgement: an app change and its audit event commit together")
class AuditBeforeAckTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);

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
  @DisplayName("a rotate-secret whose audit event cannot be stored fails and leaves the old secret working")
  void failedRotationKeepsOldSecret() throws Exception {
    JsonObject app = gateway.createApp("ack-secret");
    String appId = app.getString("app_id");
    execute("CREATE FUNCTION refuse_staging() RETURNS trigger LANGUAGE plpgsql AS "
        + "$$ BEGIN RAISE EXCEPTION 'audit store refuses'; END $$");
    execute("CREATE TRIGGER refuse_staging BEFORE INSERT ON audit_outbox FOR EACH ROW EXECUTE FUNCTION refuse_staging()");
    try {
      ApiResponse rotated = gateway.http().post("/v1/apps/" + appId + "/rotate-secret", null, ADMIN);
      assertEquals(500, rotated.status(), rotated.body());
    } finally {
      execute("DROP TRIGGER refuse_staging ON audit_outbox");
      execute("DROP FUNCTION refuse_staging()");
    }
    ApiResponse client = gateway.http().post("/auth/refresh", new JsonObject().put("app_id", appId)
        .put("app_secret", app.getString("app_secret")).put("refresh_token", "unknown"));
    assertEquals("invalid_refresh_token", client.error(), "the old secret still authenticates: " + client.body());
  }

  @Test
  @DisplayName("each acknowledged change has its event stored with it, and the event reaches the audit chain")
  void changesAreAudited() throws Exception {
    JsonObject app = gateway.createApp("ack-changes");
    String appId = app.getString("app_id");
    assertEquals(200, gateway.http().post("/v1/apps/" + appId + "/rotate-secret", null, ADMIN).status());
    assertEquals(200, gateway.http().post("/v1/apps/" + appId + "/rotate-signing-key", null, ADMIN).status());
    assertEquals(200, gateway.http().patch("/v1/apps/" + appId, new JsonObject().put("name", "Renamed"), ADMIN).status());
    Await.until("the events in the chain", Duration.ofSeconds(10), () -> count(
        "SELECT count(*) FROM audit_events WHERE app_id = '" + appId + "' AND type IN "
            + "('app.created', 'app.secret_rotated', 'app.key_rotated', 'app.changed')") == 4);
    Await.until("the outbox emptied", Duration.ofSeconds(10), () -> count("SELECT count(*) FROM audit_outbox") == 0);
  }

  /**
   * A process that dies after a staged event reached the chain and before its outbox row was deleted leaves the
   * row behind (recreated here from the stored event, as the crash would have left it): the next drain must see
   * the event is in the chain already, not append it a second time.
   */
  @Test
  @DisplayName("a staged event left in the outbox after it reached the chain (a crash before the row's delete) is not "
      + "recorded twice")
  void leftoverStagedEventIsNotRecordedTwice() throws Exception {
    String appId = gateway.createApp("ack-leftover").getString("app_id");
    assertEquals(200, gateway.http().post("/v1/apps/" + appId + "/rotate-secret", null, ADMIN).status());
    String rotated = rotations(appId);
    Await.until("the event in the chain", Duration.ofSeconds(10), () -> count(rotated) == 1);
    Await.until("the outbox emptied", Duration.ofSeconds(10), () -> count("SELECT count(*) FROM audit_outbox") == 0);

    execute("INSERT INTO audit_outbox (event_id, event, staged_at) "
        + "SELECT id, jsonb_build_object('type', type, 'app_id', app_id, 'user_id', user_id, 'request_id', request_id, "
        + "'client_ip', client_ip, 'data', data), now() - interval '1 minute' "
        + "FROM audit_events WHERE app_id = '" + appId + "' AND type = 'app.secret_rotated'");
    Await.until("the leftover row drained", Duration.ofSeconds(10), () -> count("SELECT count(*) FROM audit_outbox") == 0);
    assertEquals(1, count(rotated), "app.secret_rotated events in the chain");
  }

  @Test
  @DisplayName("the drain leaves a staged event while an earlier one about the same user is held by another mover, "
      + "and chains both in their order once it is free (h66: the later one was chained first)")
  void drainKeepsASubjectsOrder() throws Exception {
    String appId = gateway.createApp("ack-order").getString("app_id");
    String user = java.util.UUID.randomUUID().toString();
    // Staged just now, so no drain round takes them (it waits two seconds) before "first" is held.
    for (String requestId : java.util.List.of("first", "second")) {
      stage(appId, user, requestId, new JsonObject(), "0 seconds");
    }
    stage(appId, java.util.UUID.randomUUID().toString(), "unrelated", new JsonObject(), "0 seconds");
    try (Connection mover = gateway.jdbc(); Statement lock = mover.createStatement()) {
      mover.setAutoCommit(false);
      lock.execute("SELECT id FROM audit_outbox WHERE event->>'request_id' = 'first' FOR UPDATE");
      execute("UPDATE audit_outbox SET staged_at = now() - interval '1 minute' WHERE event->>'app_id' = '" + appId
          + "' AND event->>'request_id' IN ('second', 'unrelated')");
      Await.until("the drain's round past the held row", Duration.ofSeconds(20), () -> count("SELECT count(*) "
          + "FROM audit_events WHERE app_id = '" + appId + "' AND request_id = 'unrelated'") == 1);
      assertEquals(0, count("SELECT count(*) FROM audit_events WHERE app_id = '" + appId + "' "
          + "AND request_id = 'second'"), "the later event waits for the earlier one");
      mover.commit();
    }
    Await.until("both in the chain", Duration.ofSeconds(20), () -> count("SELECT count(*) FROM audit_events "
        + "WHERE app_id = '" + appId + "' AND request_id IN ('first', 'second')") == 2);
    assertEquals(1, count("SELECT count(*) FROM audit_events a JOIN audit_events b ON b.app_id = a.app_id "
        + "WHERE a.app_id = '" + appId + "' AND a.request_id = 'first' AND b.request_id = 'second' AND a.seq < b.seq"));
  }

  @Test
  @DisplayName("a staged event the log refuses is set aside with its reason, and its user's later events are chained "
      + "(h71: it failed every drain round for ever, and held back every later event of its user)")
  void refusedStagedEventIsSetAside() throws Exception {
    String appId = gateway.createApp("ack-refused").getString("app_id");
    String user = java.util.UUID.randomUUID().toString();
    stageOld(appId, user, "refused", new JsonObject().put("token", "x"));
    stageOld(appId, user, "after-refused");
    Await.until("the outbox emptied", Duration.ofSeconds(20), () -> count("SELECT count(*) FROM audit_outbox "
        + "WHERE event->>'app_id' = '" + appId + "'") == 0);
    assertEquals(1, count("SELECT count(*) FROM audit_events WHERE app_id = '" + appId + "' "
        + "AND request_id = 'after-refused'"), "the later event chained");
    assertEquals(0, count("SELECT count(*) FROM audit_events WHERE app_id = '" + appId + "' "
        + "AND request_id = 'refused'"));
    assertEquals(1, count("SELECT count(*) FROM audit_outbox_rejected WHERE event->>'app_id' = '" + appId + "' "
        + "AND event->>'request_id' = 'refused' AND reason LIKE '%token%'"), "set aside with why");
  }

  private static void stageOld(String appId, String user, String requestId) throws Exception {
    stageOld(appId, user, requestId, new JsonObject());
  }

  /** Stages an event about {@code user} as a request that never recorded it would have left it, a minute ago. */
  private static void stageOld(String appId, String user, String requestId, JsonObject data) throws Exception {
    stage(appId, user, requestId, data, "1 minute");
  }

  private static void stage(String appId, String user, String requestId, JsonObject data, String ago) throws Exception {
    java.util.UUID staged = AuditOutbox.stagedId();
    JsonObject event = new JsonObject().put("type", "role.granted").put("app_id", appId).put("user_id", user)
        .put("request_id", requestId).put("client_ip", "192.0.2.1").put("data", data);
    execute("INSERT INTO audit_outbox (event_id, event, staged_at) VALUES ('" + staged + "', '" + event.encode()
        + "'::jsonb, now() - interval '" + ago + "')");
  }

  /**
   * A chain stalled past the request's timeout and the outbox's two seconds: the request gave up on its append
   * (which went on waiting, and committed later) and the drain appended the staged event again, once a round
   * (regression probe: 2 copies after a 7 s stall, 3 after 12 s).
   */
  @Test
  @DisplayName("a staged event whose chain is held locked for seconds is stored once, however often it was sent "
      + "meanwhile")
  void stalledChainStoresOnce() throws Exception {
    String appId = gateway.createApp("ack-stalled").getString("app_id");
    String rotated = rotations(appId);
    Await.until("the app's chain head", Duration.ofSeconds(10),
        () -> count("SELECT count(*) FROM audit_chain_heads WHERE app_id = '" + appId + "'") == 1);
    try (Connection holder = gateway.jdbc(); Statement lock = holder.createStatement()) {
      holder.setAutoCommit(false);
      lock.execute("SELECT seq FROM audit_chain_heads WHERE app_id = '" + appId + "' FOR UPDATE");
      assertEquals(200, gateway.http().post("/v1/apps/" + appId + "/rotate-secret", null, ADMIN).status());
      // the drain claims the staged row only once it is two seconds old: hold the chain past a few of its rounds
      Await.until("the drain to have sent the staged event again", Duration.ofSeconds(30),
          () -> count("SELECT count(*) FROM audit_outbox WHERE staged_at < now() - interval '8 seconds'") > 0);
      holder.commit();
    }
    Await.until("the outbox emptied", Duration.ofSeconds(30), () -> count("SELECT count(*) FROM audit_outbox") == 0);
    Await.until("the event in the chain", Duration.ofSeconds(10), () -> count(rotated) >= 1);
    assertEquals(1, count(rotated), "app.secret_rotated events in the chain");
  }

  /** The query counting the app's app.secret_rotated events in the chain. */
  private static String rotations(String appId) {
    return "SELECT count(*) FROM audit_events WHERE app_id = '" + appId + "' AND type = 'app.secret_rotated'";
  }

  private static void execute(String sql) throws Exception {
    try (Connection connection = gateway.jdbc(); Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  private static long count(String sql) {
    return gateway.count(sql);
  }
}
