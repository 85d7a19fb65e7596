package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.Metrics;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("The audit log API")
class AuditApiTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static AuditLog audit;

  @BeforeAll
  static void start() {
    audit = new AuditLog(new Bus(gateway.vertx(), gateway.config()));
  }

  private static AuditEvent event(String type, UUID app, String requestId) {
    return AuditEvent.of(type, app, requestId, "203.0.113.9");
  }

  private static JsonArray events(ApiResponse response) {
    assertEquals(200, response.status(), response.body());
    return response.json().getJsonArray("events");
  }

  @Test
  @DisplayName("an event is listed with every field, and its hash is the keyed link (HMAC) of 64 zeros and its sorted-key JSON")
  void eventShapeAndHash() throws Exception {
    UUID app = UUID.randomUUID();
    UUID user = UUID.randomUUID();
    audit.record(event(AuditEvent.OTP_SENT, app, "req-shape").withUser(user).with("channel", "email")
        .with("otp_request_id", "abc")).await(10, TimeUnit.SECONDS);

    JsonObject event = events(AuditTrail.list(gateway, app, "")).getJsonObject(0);
    assertEquals(Set.of("id", "seq", "at", "type", "app_id", "user_id", "request_id", "client_ip", "data", "hash"),
        event.fieldNames());
    assertEquals(1L, event.getLong("seq"));
    assertEquals(AuditEvent.OTP_SENT, event.getString("type"));
    assertEquals(user.toString(), event.getString("user_id"));
    assertEquals("req-shape", event.getString("request_id"));
    assertEquals("203.0.113.9", event.getString("client_ip"));
    assertEquals(new JsonObject().put("channel", "email").put("otp_request_id", "abc"), event.getJsonObject("data"));
    assertTrue(event.getString("at").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"), event.getString("at"));

    // Recomputed here the way the README tells an auditor to: sorted keys, no whitespace, hash left out.
    JsonObject content = event.copy();
    content.remove("hash");
    String canonical = new JsonObject(new TreeMap<>(content.getMap())).encode();
    // A new chain is keyed from seq 1: HMAC-SHA256 under HMAC-SHA256(master key, "portcullis/audit-chain").
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(java.util.Base64.getDecoder().decode(TestGateway.TEST_MASTER_KEY),
        "HmacSHA256"));
    byte[] chainKey = mac.doFinal("portcullis/audit-chain".getBytes("UTF-8"));
    mac.init(new javax.crypto.spec.SecretKeySpec(chainKey, "HmacSHA256"));
    byte[] digest = mac.doFinal(("0".repeat(64) + canonical).getBytes("UTF-8"));
    assertEquals(HexFormat.of().formatHex(digest), event.getString("hash"));
    // Not the unkeyed SHA-256, which anyone with the rows could recompute.
    byte[] unkeyed = MessageDigest.getInstance("SHA-256").digest(("0".repeat(64) + canonical).getBytes("UTF-8"));
    assertTrue(!HexFormat.of().formatHex(unkeyed).equals(event.getString("hash")));
  }

  @Test
  @DisplayName("every auth event type of the gateway is stored and can be listed by type")
  void everyEventType() throws Exception {
    UUID app = UUID.randomUUID();
    List<String> types = new ArrayList<>();
    for (Field field : AuditEvent.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
        types.add((String) field.get(null));
      }
    }
    assertTrue(types.size() >= 18, "the catalogue of types: " + types);
    audit.record(types.stream().map(type -> event(type, app, "req-" + type)).toList()).await(10, TimeUnit.SECONDS);

    for (String type : types) {
      JsonArray events = events(AuditTrail.list(gateway, app, "type=" + type));
      assertEquals(1, events.size(), type);
      assertEquals(type, events.getJsonObject(0).getString("type"));
    }
    assertEquals(types, AuditTrail.types(gateway, app));
  }

  @Test
  @DisplayName("events are listed newest first and filtered by user_id, since and until")
  void newestFirstAndFilters() throws Exception {
    UUID app = UUID.randomUUID();
    UUID alice = UUID.randomUUID();
    for (int i = 1; i <= 3; i++) {
      audit.record(event(AuditEvent.TOKEN_ISSUED, app, "req-" + i).withUser(i == 2 ? alice : UUID.randomUUID()))
          .await(10, TimeUnit.SECONDS);
    }
    JsonArray all = events(AuditTrail.list(gateway, app, ""));
    assertEquals(List.of(3L, 2L, 1L), all.stream().map(e -> ((JsonObject) e).getLong("seq")).toList());
    String secondAt = all.getJsonObject(1).getString("at");
    String thirdAt = all.getJsonObject(0).getString("at");

    assertEquals(List.of("req-2"), requestIds(AuditTrail.list(gateway, app, "user_id=" + alice)));
    assertEquals(List.of("req-3", "req-2"), requestIds(AuditTrail.list(gateway, app, "since=" + secondAt)));
    assertEquals(List.of("req-1"), requestIds(AuditTrail.list(gateway, app, "until=" + secondAt)));
    assertEquals(List.of("req-2"), requestIds(AuditTrail.list(gateway, app, "since=" + secondAt + "&until=" + thirdAt)));
    assertEquals(List.of("req-3", "req-2", "req-1"), requestIds(AuditTrail.list(gateway, app, "type=&user_id=&limit=")));
    // Half a microsecond after the second event: it is before both bounds (h76: Postgres rounded the bound to it).
    String justAfter = java.time.Instant.parse(secondAt).plusNanos(500).toString();
    assertEquals(List.of("req-3"), requestIds(AuditTrail.list(gateway, app, "since=" + justAfter)));
    assertEquals(List.of("req-2", "req-1"), requestIds(AuditTrail.list(gateway, app, "until=" + justAfter)));
    // RFC 3339 takes more than nine fraction digits (h77: 400); a trillionth of a second after it is still after it.
    String finer = secondAt.replace("Z", "000001Z");
    assertEquals(List.of("req-3"), requestIds(AuditTrail.list(gateway, app, "since=" + finer)));
    assertEquals(List.of("req-3", "req-2"), requestIds(AuditTrail.list(gateway, app,
        "since=" + secondAt.replace("Z", "000000Z"))));
  }

  @Test
  @DisplayName("cursor pages return every event exactly once, newest first, while new events keep arriving")
  void cursorPagination() throws Exception {
    UUID app = UUID.randomUUID();
    List<String> written = IntStream.range(0, 250).mapToObj(i -> "page-" + i).toList();
    for (int from = 0; from < written.size(); from += 50) {
      audit.record(written.subList(from, from + 50).stream().map(id -> event(AuditEvent.OTP_SENT, app, id)).toList())
          .await(10, TimeUnit.SECONDS);
    }
    List<String> seen = new ArrayList<>();
    long lastSeq = Long.MAX_VALUE;
    String cursor = null;
    int pages = 0;
    do {
      ApiResponse page = AuditTrail.list(gateway, app, "limit=37" + (cursor == null ? "" : "&cursor=" + cursor));
      for (Object item : events(page)) {
        JsonObject event = (JsonObject) item;
        assertTrue(event.getLong("seq") < lastSeq, "newest first");
        lastSeq = event.getLong("seq");
        seen.add(event.getString("request_id"));
      }
      cursor = page.json().getString("next_cursor");
      pages++;
      // Newer events arrive between pages; they must not shift or repeat what the next page returns.
      audit.record(event(AuditEvent.OTP_SENT, app, "late-" + pages)).await(10, TimeUnit.SECONDS);
    } while (cursor != null);

    assertEquals(7, pages);
    assertEquals(250, seen.size());
    assertEquals(new HashSet<>(written), new HashSet<>(seen));
  }

  @Test
  @DisplayName("limit above 500 is 400 invalid_request naming limit; 500 is accepted")
  void limitAtMost500() {
    UUID app = UUID.randomUUID();
    AuditTrail.record(gateway, event(AuditEvent.OTP_SENT, app, "req-limit"));
    ApiResponse tooMany = AuditTrail.list(gateway, app, "limit=501");
    assertEquals(400, tooMany.status());
    assertEquals("invalid_request", tooMany.error());
    assertTrue(tooMany.json().getString("message").contains("limit"), tooMany.body());
    assertEquals(200, AuditTrail.list(gateway, app, "limit=500").status());
  }

  @Test
  @DisplayName("a bad since, until, user_id, cursor or limit, or a filter given twice (probe h43: the first one was "
      + "used), is 400 invalid_request naming the parameter")
  void badParameters() {
    UUID app = UUID.randomUUID();
    AuditTrail.record(gateway, event(AuditEvent.OTP_SENT, app, "req-bad"));
    for (String query : List.of("since=yesterday", "until=2026-13-01T00:00:00Z", "until=%2B294277-01-01T00:00:00Z",
        "since=-4713-01-01T00:00:00Z", "until=+10000-01-01T00:00:00Z", "user_id=42", "cursor=bm9wZQ",
        "cursor=***", "limit=0", "limit=ten", "limit=%EF%BC%95", "limit=%2B5", "limit=5%20",
        "type=otp.sent&type=user.created",
        "limit=5&limit=500")) {
      ApiResponse response = AuditTrail.list(gateway, app, query);
      assertEquals(400, response.status(), query);
      assertEquals("invalid_request", response.error(), query);
      String name = query.substring(0, query.indexOf('='));
      assertTrue(response.json().getString("message").contains(name), response.body());
    }
  }

  @Test
  @DisplayName("an unknown app, or an id that is not a UUID in its canonical form, is 404 not_found for the log and verify")
  void unknownApp() {
    for (String path : List.of("/v1/apps/" + UUID.randomUUID() + "/audit", "/v1/apps/" + UUID.randomUUID() + "/audit/verify",
        "/v1/apps/not-a-uuid/audit", "/v1/apps/0-0-0-0-0/audit", "/v1/apps/0-0-0-0-0/audit/verify",
        "/v1/apps/000000000-000-0000-0000-000000000000/audit", "/v1/apps/+" + UUID.randomUUID().toString().substring(1))) {
      ApiResponse response = gateway.http().get(path, Http.bearer(TestGateway.ADMIN_KEY));
      assertEquals(404, response.status(), path);
      assertEquals("not_found", response.error(), path);
    }
  }

  @Test
  @DisplayName("the log needs the admin API's bearer token: none or a wrong one is 401 invalid_token")
  void needsAdminAuth() {
    UUID app = UUID.randomUUID();
    AuditTrail.record(gateway, event(AuditEvent.OTP_SENT, app, "req-auth"));
    assertEquals(401, gateway.http().get("/v1/apps/" + app + "/audit").status());
    ApiResponse wrong = gateway.http().get("/v1/apps/" + app + "/audit/verify", Http.bearer("not-the-key"));
    assertEquals(401, wrong.status());
    assertEquals("invalid_token", wrong.error());
  }

  @Test
  @DisplayName("the operator reads the system chain, where events without an app are filed")
  void systemChain() {
    AuditTrail.record(gateway, event(AuditEvent.CLIENT_AUTH_FAILED, AuditEvent.SYSTEM_APP, "req-system")
        .with("reason", "unknown app"));
    List<String> ids = requestIds(AuditTrail.list(gateway, AuditEvent.SYSTEM_APP, "type=" + AuditEvent.CLIENT_AUTH_FAILED));
    assertTrue(ids.contains("req-system"), ids.toString());
    assertEquals(true, AuditTrail.verify(gateway, AuditEvent.SYSTEM_APP).json().getBoolean("ok"));
  }

  @Test
  @DisplayName("an event whose data names a secret is refused as a sender's bug and not stored")
  void refusesSecrets() throws Exception {
    UUID app = UUID.randomUUID();
    Future<Void> refused = audit.record(event(AuditEvent.TOKEN_ISSUED, app, "req-secret").with("refresh_token", "rt_x"));
    ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> refused.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
    ApiException api = (ApiException) failure.getCause();
    assertEquals(500, api.code().status());
    assertTrue(api.getMessage().contains("refresh_token"), api.getMessage());
    assertTrue(AuditTrail.rows(gateway, app).isEmpty());
  }

  @Test
  @DisplayName("concurrent senders share batches: far fewer commits than events")
  void groupCommit() throws Exception {
    MeterRegistry registry = Metrics.registry(gateway.vertx());
    DistributionSummary batches = registry.get("portcullis.audit.batch.size").summary();
    long batchesBefore = batches.count();
    double eventsBefore = registry.get("portcullis.audit.events.written").counter().count();
    UUID app = UUID.randomUUID();
    List<Future<Void>> sent = IntStream.range(0, 400)
        .mapToObj(i -> audit.record(event(AuditEvent.OTP_VERIFIED, app, "gc-" + i)))
        .toList();
    Future.all(sent).await(20, TimeUnit.SECONDS);

    assertEquals(400, AuditTrail.rows(gateway, app).size());
    assertEquals(400.0, registry.get("portcullis.audit.events.written").counter().count() - eventsBefore);
    long commits = batches.count() - batchesBefore;
    assertTrue(commits <= 200, "400 events took " + commits + " commits");
  }

  @Test
  @DisplayName("the audit meters are on /metrics: batch size, commit time, queue depth, events written, failures")
  void metrics() {
    AuditTrail.record(gateway, event(AuditEvent.OTP_SENT, UUID.randomUUID(), "req-metrics"));
    String metrics = gateway.management().get("/metrics").body();
    for (String name : List.of("portcullis_audit_batch_size_count", "portcullis_audit_commit_seconds_count",
        "portcullis_audit_lag_seconds_count", "portcullis_audit_queue_depth", "portcullis_audit_events_written_total",
        "portcullis_audit_failures_total{reason=\"unavailable\"}")) {
      assertTrue(metrics.contains(name), name);
    }
  }

  private static List<String> requestIds(ApiResponse response) {
    assertNotNull(response.json().getJsonArray("events"), response.body());
    JsonArray events = events(response);
    assertNull(response.json().getString("next_cursor"));
    return events.stream().map(e -> ((JsonObject) e).getString("request_id")).toList();
  }
}
