package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One event loop serves the API here, so concurrent requests meet on it. */
@DisplayName("Audit chain verifications at once")
class AuditVerifyConcurrencyTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().config(SignIns.LIMITS)
      .config(GatewayConfig.HTTP_INSTANCES, 1);

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static WebhookReceiver receiver;

  @Test
  @DisplayName("a verification asked while the same caller's runs on the same event loop is 429 rate_limited with "
      + "Retry-After (an owner's loop of them took the database and CPU from every app's sign-ins), another caller's "
      + "is not; once it ends, the next runs")
  void oneAtATimePerCaller() {
    UUID app = appWithEvents(3000);
    String ownerToken = SignIns.owner(gateway, receiver, "verifying.owner@example.com").getString("access_token");
    ApiResponse owned = gateway.http().post("/v1/apps", new JsonObject().put("name", "Verified").put("slug",
        "verified-app"), Http.bearer(ownerToken));
    assertEquals(201, owned.status(), owned.body());

    List<CompletableFuture<ApiResponse>> together = IntStream.range(0, 4)
        .mapToObj(i -> gateway.http().sendAsync("GET", "/v1/apps/" + app + "/audit/verify", null,
            Http.bearer(TestGateway.ADMIN_KEY)))
        .toList();
    // Another caller's verification on the same event loop meanwhile is not kept out by the operator's loop of them.
    ApiResponse ownersOwn = gateway.http().get("/v1/apps/" + owned.json().getString("app_id") + "/audit/verify",
        Http.bearer(ownerToken));
    assertEquals(200, ownersOwn.status(), ownersOwn.body());
    List<ApiResponse> answers = together.stream().map(CompletableFuture::join).toList();
    assertEquals(1, answers.stream().filter(answer -> answer.status() == 200).count(), answers.toString());
    for (ApiResponse refused : answers.stream().filter(answer -> answer.status() != 200).toList()) {
      assertEquals(429, refused.status(), refused.body());
      assertEquals("rate_limited", refused.error());
      assertEquals("1", refused.header("Retry-After"));
    }
    ApiResponse next = AuditTrail.verify(gateway, app);
    assertEquals(200, next.status(), next.body());
    assertTrue(next.json().getBoolean("ok"), next.body());
  }

  @Test
  @DisplayName("a verification asked while two others run on the event loop waits for a place instead of 429 (two "
      + "owners looping verifications kept a third at 429)")
  void aThirdCallerWaitsItsTurn() {
    UUID operators = appWithEvents(3000);
    List<String> owners = List.of("first.verifier@example.com", "second.verifier@example.com").stream()
        .map(email -> SignIns.owner(gateway, receiver, email).getString("access_token")).toList();
    List<UUID> ownersApps = owners.stream().map(token -> {
      ApiResponse created = gateway.http().post("/v1/apps", new JsonObject().put("name", "Verified")
          .put("slug", "verified-" + UUID.randomUUID().toString().substring(0, 8)), Http.bearer(token));
      assertEquals(201, created.status(), created.body());
      return withEvents(UUID.fromString(created.json().getString("app_id")), 3000);
    }).toList();

    for (int round = 0; round < 2; round++) {
      List<CompletableFuture<ApiResponse>> together = List.of(
          gateway.http().sendAsync("GET", "/v1/apps/" + operators + "/audit/verify", null,
              Http.bearer(TestGateway.ADMIN_KEY)),
          gateway.http().sendAsync("GET", "/v1/apps/" + ownersApps.get(0) + "/audit/verify", null,
              Http.bearer(owners.get(0))),
          gateway.http().sendAsync("GET", "/v1/apps/" + ownersApps.get(1) + "/audit/verify", null,
              Http.bearer(owners.get(1))));
      for (ApiResponse answer : together.stream().map(CompletableFuture::join).toList()) {
        assertEquals(200, answer.status(), answer.body());
        assertTrue(answer.json().getBoolean("ok"), answer.body());
      }
    }
  }

  private static UUID appWithEvents(int count) {
    return withEvents(UUID.randomUUID(), count);
  }

  private static UUID withEvents(UUID app, int count) {
    for (int from = 0; from < count; from += 100) {
      AuditTrail.record(gateway, IntStream.range(from, from + 100)
          .mapToObj(i -> AuditEvent.of(AuditEvent.TOKEN_REFRESHED, app, "req-" + i, "198.51.100.1").with("n", i))
          .toArray(AuditEvent[]::new));
    }
    return app;
  }
}
