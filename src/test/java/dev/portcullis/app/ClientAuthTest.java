package dev.portcullis.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Postgres;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.PrometheusText;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Client authentication of /auth/* calls")
class ClientAuthTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().auditTap()
      .config(dev.portcullis.core.GatewayConfig.CLIENT_FAILURE_WINDOW_MS, 500);

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static AuditTap audit;
  private static JsonObject app;

  @BeforeAll
  static void start() {
    app = gateway.createApp("client-auth");
  }

  private static String id() {
    return app.getString("app_id");
  }

  private static String secret() {
    return app.getString("app_secret");
  }

  private static ApiResponse refresh(JsonObject credentials, String... headers) {
    return gateway.http().post("/auth/refresh", credentials.copy().put("refresh_token", "not-a-token"), headers);
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("app_id and app_secret in the body authenticate the client")
  void bodyCredentials() {
    ApiResponse response = refresh(new JsonObject().put("app_id", id()).put("app_secret", secret()));
    assertNotEquals("invalid_client", response.error(), response.body());
  }

  @Test
  @DisplayName("HTTP Basic app_id:app_secret authenticates the client")
  void basicCredentials() {
    ApiResponse response = refresh(new JsonObject(), "Authorization", basic(id(), secret()));
    assertNotEquals("invalid_client", response.error(), response.body());
    ApiResponse same = refresh(new JsonObject().put("app_id", id()).put("app_secret", secret()),
        "Authorization", basic(id(), secret()));
    assertNotEquals("invalid_client", same.error(), "the same credentials twice: " + same.body());
    JsonObject other = gateway.createApp("client-auth-other");
    for (JsonObject body : List.of(new JsonObject().put("app_id", other.getString("app_id")),
        new JsonObject().put("app_id", other.getString("app_id")).put("app_secret", other.getString("app_secret")),
        new JsonObject().put("app_secret", "wrong"))) {
      ApiResponse disagreeing = refresh(body, "Authorization", basic(id(), secret()));
      assertEquals(401, disagreeing.status(), "Basic and body credentials that disagree: " + disagreeing.body());
      assertEquals("invalid_client", disagreeing.error());
    }
  }

  @Test
  @DisplayName("unknown app, wrong secret, missing or malformed credentials all get the same 401 invalid_client")
  void oneAnswerForEveryFailure() {
    List<ApiResponse> failures = List.of(
        refresh(new JsonObject().put("app_id", UUID.randomUUID().toString()).put("app_secret", secret())),
        refresh(new JsonObject().put("app_id", id()).put("app_secret", secret() + "x")),
        refresh(new JsonObject().put("app_id", id())),
        refresh(new JsonObject()),
        refresh(new JsonObject().put("app_id", "not-a-uuid").put("app_secret", secret())),
        refresh(new JsonObject().put("app_id", id()).put("app_secret", 42)),
        refresh(new JsonObject(), "Authorization", basic(id(), "wrong")),
        refresh(new JsonObject(), "Authorization", "Basic %%%"),
        refresh(new JsonObject().put("app_id", App.CONSOLE_ID.toString()).put("app_secret", "")));
    String expected = failures.get(0).body();
    for (ApiResponse failure : failures) {
      assertEquals(401, failure.status());
      assertEquals("invalid_client", failure.error());
      assertEquals(expected, failure.body(), "the body does not tell the cases apart");
    }
  }

  @Test
  @DisplayName("a failed attempt is counted into the claimed app's summary: reason, count and network, no secret")
  void failureAuditedUnderClaimedApp() {
    JsonObject target = gateway.createApp("client-auth-audit");
    refresh(new JsonObject().put("app_id", target.getString("app_id")).put("app_secret", "guess"),
        "X-Request-Id", "guess-1");
    JsonObject event = audit.one(AuditEvent.CLIENT_AUTH_FAILED, target.getString("app_id"));
    JsonObject data = event.getJsonObject("data");
    assertEquals("invalid_client", data.getString("reason"));
    assertEquals(1, data.getLong("count"));
    assertEquals("127.0.0.0/24", data.getString("network"));
    assertEquals(null, event.getString("request_id"), "a summary belongs to no single request");
    assertFalse(event.encode().contains("guess\""), "the presented secret is not recorded");
  }

  @Test
  @DisplayName("an attempt for an app that does not exist is counted into the system app's summary")
  void unknownAppAuditedUnderSystem() {
    int before = audit.of(AuditEvent.CLIENT_AUTH_FAILED, AuditEvent.SYSTEM_APP.toString()).size();
    refresh(new JsonObject().put("app_id", UUID.randomUUID().toString()).put("app_secret", "x"));
    Await.until("a summary in the system chain", Duration.ofSeconds(5),
        () -> audit.of(AuditEvent.CLIENT_AUTH_FAILED, AuditEvent.SYSTEM_APP.toString()).size() > before);
    JsonObject event = audit.of(AuditEvent.CLIENT_AUTH_FAILED, AuditEvent.SYSTEM_APP.toString()).get(before);
    assertEquals("invalid_client", event.getJsonObject("data").getString("reason"));
    assertTrue(event.getJsonObject("data").getLong("count") >= 1);
  }

  @Test
  @DisplayName("failed attempts are counted in portcullis_client_auth_failures_total")
  void failuresCounted() {
    double before = PrometheusText.counter(gateway, "portcullis_client_auth_failures_total");
    refresh(new JsonObject().put("app_id", id()).put("app_secret", "wrong"));
    refresh(new JsonObject());
    assertEquals(before + 2, PrometheusText.counter(gateway, "portcullis_client_auth_failures_total"));
  }

  @Test
  @DisplayName("every kind of failure costs the same work as a success: one keyed hash and one cached look-up")
  void sameWorkWhateverTheFailure() {
    Postgres pg = Postgres.create(gateway.vertx(), gateway.config());
    try {
      AppRepository repository = new AppRepository(pg);
      MasterKey masterKey = MasterKey.from(gateway.config());
      AtomicInteger hashes = new AtomicInteger();
      AtomicInteger loads = new AtomicInteger();
      Context context = gateway.vertx().getOrCreateContext();
      record Attempt(String name, String appId, String secret, boolean accepted) {
      }
      List<Attempt> attempts = List.of(
          new Attempt("right secret", id(), secret(), true),
          new Attempt("wrong secret", id(), "wrong", false),
          new Attempt("missing secret", id(), null, false),
          new Attempt("unknown app", UUID.randomUUID().toString(), secret(), false),
          new Attempt("malformed app id", "nope", secret(), false),
          new Attempt("missing app id", null, null, false));
      for (Attempt attempt : attempts) {
        hashes.set(0);
        loads.set(0);
        AppDirectory directory = new AppDirectory(id -> {
          loads.incrementAndGet();
          return repository.find(id);
        }, secret -> {
          hashes.incrementAndGet();
          return masterKey.appSecretHash(secret);
        });
        AppDirectory.Verdict cold = on(context, () -> directory.authenticate(attempt.appId(), attempt.secret()));
        assertEquals(attempt.accepted(), cold.accepted(), attempt.name());
        assertEquals(1, hashes.get(), attempt.name() + ": one HMAC");
        assertEquals(1, loads.get(), attempt.name() + ": one query on a cold cache");
        on(context, () -> directory.authenticate(attempt.appId(), attempt.secret()));
        assertEquals(2, hashes.get(), attempt.name() + ": one HMAC again");
        assertEquals(1, loads.get(), attempt.name() + ": no query on a warm cache, known app or not");
      }
    } finally {
      pg.close();
    }
  }

  private static <T> T on(Context context, Supplier<Future<T>> work) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(ignored -> work.get().onComplete(promise));
    try {
      return promise.future().await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
