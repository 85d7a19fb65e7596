package dev.portcullis.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import dev.portcullis.webhook.SignedWebhook;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Security events webhook")
@RunsAlone
class SecurityWebhookTest {

  private static final String SECURITY_SECRET = "security-webhook-secret-0123456789";

  private static WebhookReceiver receiver;
  private static TestGateway gateway;
  private static JsonObject app;

  @BeforeAll
  static void start() {
    receiver = new WebhookReceiver();
    gateway = TestGateway.start(new JsonObject()
        .put(GatewayConfig.SECURITY_WEBHOOK_URL, receiver.url())
        .put(GatewayConfig.SECURITY_WEBHOOK_SECRET, SECURITY_SECRET)
        .put(GatewayConfig.WEBHOOK_SECRET, WebhookReceiver.SECRET));
    app = gateway.createApp(new JsonObject().put("name", "Sec").put("slug", "security-events")
        .put("settings", new JsonObject().put("refresh_reuse_grace_seconds", 0)));
  }

  @AfterEach
  void answerOk() {
    receiver.answer(() -> 200);
  }

  @AfterAll
  static void stop() {
    gateway.close();
    receiver.close();
  }

  @Test
  @DisplayName("a reused refresh token is POSTed as refresh_token.reused, signed with the security secret")
  void reuseIsReported() {
    String raised = "portcullis_security_events_total{type=\"refresh_token.reused\"}";
    double before = dev.portcullis.testing.PrometheusText.counter(gateway, raised);
    JsonObject login = SecurityFixture.login(gateway, app, "reuse@example.com");
    String first = login.getString("refresh_token");
    assertEquals(200, SecurityFixture.refresh(gateway, app, first).status());
    assertEquals(401, SecurityFixture.refresh(gateway, app, first).status());

    WebhookReceiver.Call call = awaitEvent("refresh_token.reused", app.getString("app_id"));
    JsonObject event = call.json();
    assertEquals(SecurityFixture.userId(login), event.getString("user_id"));
    assertEquals(SecurityFixture.sessionId(login), event.getString("session_id"));
    assertTrue(Duration.between(Instant.parse(event.getString("at")), Instant.now()).abs().getSeconds() < 60);
    assertEquals(SignedWebhook.signature(SECURITY_SECRET.getBytes(StandardCharsets.UTF_8), Buffer.buffer(call.body())),
        call.signature());
    // Counted whichever capability raised it (h82: only the password capability's events were).
    assertEquals(before + 1, dev.portcullis.testing.PrometheusText.counter(gateway, raised));
  }

  @Test
  @DisplayName("a spent refresh token replayed five times is reported once: one webhook call, one reuse row")
  void replaysReportedOnce() {
    double before = metric("portcullis_refresh_reuse_detected_total");
    JsonObject login = SecurityFixture.login(gateway, app, "replayed@example.com");
    String first = login.getString("refresh_token");
    assertEquals(200, SecurityFixture.refresh(gateway, app, first).status());
    for (int i = 0; i < 5; i++) {
      ApiResponse replay = SecurityFixture.refresh(gateway, app, first);
      assertEquals(401, replay.status(), replay.body());
      assertEquals("refresh_token_reused", replay.error());
    }
    assertEquals(before + 5, metric("portcullis_refresh_reuse_detected_total"), "every replay counted");

    // Another session's reuse, raised after the replays, marks when theirs would have arrived.
    JsonObject marker = SecurityFixture.login(gateway, app, "replay-marker@example.com");
    String markerToken = marker.getString("refresh_token");
    SecurityFixture.refresh(gateway, app, markerToken);
    SecurityFixture.refresh(gateway, app, markerToken);
    Await.until("the marker's event and row", Duration.ofSeconds(10),
        () -> eventsFor(SecurityFixture.sessionId(marker)).size() == 1 && reuseRows(marker) == 1);
    assertEquals(1, eventsFor(SecurityFixture.sessionId(login)).size(), "one refresh_token.reused");
    assertEquals(1, reuseRows(login), "one token.reuse_detected");
  }

  private static long reuseRows(JsonObject login) {
    return gateway.count("SELECT count(*) FROM audit_events WHERE type = 'token.reuse_detected' "
        + "AND data->>'session_id' = '" + SecurityFixture.sessionId(login) + "'");
  }

  @Test
  @DisplayName("a receiver that fails is retried with back-off until it takes the event")
  void retried() {
    AtomicInteger calls = new AtomicInteger();
    receiver.answer(() -> calls.incrementAndGet() == 1 ? 503 : 200);
    JsonObject login = SecurityFixture.login(gateway, app, "retry@example.com");
    String first = login.getString("refresh_token");
    SecurityFixture.refresh(gateway, app, first);
    SecurityFixture.refresh(gateway, app, first);
    Await.until("two deliveries of one event", Duration.ofSeconds(10),
        () -> eventsFor(SecurityFixture.sessionId(login)).size() == 2);
    List<WebhookReceiver.Call> both = eventsFor(SecurityFixture.sessionId(login));
    assertEquals(both.get(0).json(), both.get(1).json(), "the same event again");
    // probe h43: the tries had no id to tell them by; each event has its own, the same on every try
    UUID id = UUID.fromString(both.get(0).json().getString("id"));
    JsonObject other = SecurityFixture.login(gateway, app, "retry-other@example.com");
    SecurityFixture.refresh(gateway, app, other.getString("refresh_token"));
    SecurityFixture.refresh(gateway, app, other.getString("refresh_token"));
    Await.until("the other session's event", Duration.ofSeconds(10),
        () -> eventsFor(SecurityFixture.sessionId(other)).size() == 1);
    assertNotEquals(id.toString(), eventsFor(SecurityFixture.sessionId(other)).get(0).json().getString("id"));
  }

  @Test
  @DisplayName("an event the receiver never takes counts in portcullis_security_webhook_failures_total")
  void failuresCounted() {
    double before = failures();
    receiver.answer(() -> 500);
    JsonObject login = SecurityFixture.login(gateway, app, "down@example.com");
    String first = login.getString("refresh_token");
    SecurityFixture.refresh(gateway, app, first);
    SecurityFixture.refresh(gateway, app, first);
    Await.until("the failure counted", Duration.ofSeconds(15), () -> failures() == before + 1);
    assertEquals(1 + SecurityWebhookVerticle.BACKOFF_MS.size(), eventsFor(SecurityFixture.sessionId(login)).size());
  }

  @Test
  @DisplayName("events still being retried when the process stops are logged as not delivered (h82: dropped without "
      + "a trace)")
  void pendingAtStopAreLogged() {
    WebhookReceiver failing = new WebhookReceiver();
    failing.answer(() -> 500);
    TestGateway stopping = TestGateway.start(new JsonObject()
        .put(GatewayConfig.SECURITY_WEBHOOK_URL, failing.url())
        .put(GatewayConfig.SECURITY_WEBHOOK_SECRET, SECURITY_SECRET)
        .put(GatewayConfig.WEBHOOK_SECRET, WebhookReceiver.SECRET));
    try (dev.portcullis.testing.LogCapture log = new dev.portcullis.testing.LogCapture()) {
      new dev.portcullis.security.SecurityEvents(stopping.vertx())
          .publish("user.disabled", UUID.randomUUID(), UUID.randomUUID(), null, new JsonObject());
      Await.until("the first try refused", Duration.ofSeconds(5), () -> !failing.calls().isEmpty());
      stopping.close();
      assertTrue(log.lines().stream().anyMatch(line -> line.contains("1 security events not delivered")),
          String.join("\n", log.lines()));
    } finally {
      stopping.close();
      failing.close();
    }
  }

  @Test
  @DisplayName("a receiver that does not answer never holds up the request that raised the event")
  void neverHoldsUp() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    receiver.answer(() -> {
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 200;
    });
    try {
      JsonObject login = SecurityFixture.login(gateway, app, "slow@example.com");
      String first = login.getString("refresh_token");
      SecurityFixture.refresh(gateway, app, first);
      long started = System.nanoTime();
      ApiResponse reused = SecurityFixture.refresh(gateway, app, first);
      long millis = (System.nanoTime() - started) / 1_000_000;
      assertEquals(401, reused.status());
      assertTrue(millis < 2_000, "answered in " + millis + " ms");
    } finally {
      release.countDown();
    }
  }

  @Test
  @DisplayName("the security webhook is signed with PORTCULLIS_WEBHOOK_SECRET when it has no secret of its own")
  void secretFallsBack() {
    JsonObject raw = gateway.config().json()
        .put(GatewayConfig.SECURITY_WEBHOOK_URL, "https://hooks.example.com/security")
        .putNull(GatewayConfig.SECURITY_WEBHOOK_SECRET)
        .put(GatewayConfig.WEBHOOK_SECRET, "otp-webhook-secret-0123456789");
    assertEquals("otp-webhook-secret-0123456789", GatewayConfig.from(raw).securityWebhookSecret());
    JsonObject none = raw.copy().putNull(GatewayConfig.WEBHOOK_SECRET);
    IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.from(none));
    assertTrue(refused.getMessage().contains(GatewayConfig.SECURITY_WEBHOOK_SECRET), refused.getMessage());
    assertNull(GatewayConfig.from(none.putNull(GatewayConfig.SECURITY_WEBHOOK_URL)).optional(GatewayConfig.SECURITY_WEBHOOK_URL));
  }

  private static WebhookReceiver.Call awaitEvent(String type, String appId) {
    Await.until(type, Duration.ofSeconds(10), () -> receiver.calls().stream()
        .anyMatch(call -> type.equals(call.json().getString("type")) && appId.equals(call.json().getString("app_id"))));
    return receiver.calls().stream()
        .filter(call -> type.equals(call.json().getString("type")) && appId.equals(call.json().getString("app_id")))
        .findFirst()
        .orElseThrow();
  }

  private static List<WebhookReceiver.Call> eventsFor(String sessionId) {
    return receiver.calls().stream().filter(call -> sessionId.equals(call.json().getString("session_id"))).toList();
  }

  private static double failures() {
    return metric("portcullis_security_webhook_failures_total");
  }

  private static double metric(String name) {
    return gateway.management().get("/metrics").body().lines()
        .filter(line -> line.startsWith(name + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.indexOf(' ') + 1)))
        .findFirst()
        .orElse(0);
  }

  static String randomEmail() {
    return UUID.randomUUID() + "@example.com";
  }
}
