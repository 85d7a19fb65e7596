package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.SlowTrigger;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A first device-bound login whose user is made past the request's deadline (a trigger of the test's own). */
@DisplayName("A first device-bound login past the backend timeout")
class SlowDeviceLoginTest {

  private static final int TIMEOUT_MS = 1_000;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook()
      .config(GatewayConfig.BACKEND_TIMEOUT_MS, TIMEOUT_MS);

  // Set by env before any test of the class runs.
  private static WebhookReceiver inbox;
  private static TestGateway gateway;

  /** The user was found or made by an autocommit statement: answered 503, it committed after the answer. */
  @Test
  @DisplayName("a first device-bound login answered 503 because its user's insert outlived the deadline makes no user: "
      + "the next login makes it, as new_user, with user.created")
  void answered503MakesNoUser() throws Exception {
    LicenseFixture licenses = new LicenseFixture(gateway, gateway.createApp(new JsonObject().put("name", "Slow device")
        .put("slug", "slow-device").put("settings", new JsonObject().put("otp_resend_cooldown", 0)
            .put("challenge_required", false).put("require_verified_identity", false))));
    String key = licenses.license(licenses.policy(3)).getString("key");
    JsonObject binding = new JsonObject().put("device_id", licenses.activated(key, "fp-slow")).put("key", key);
    String email = "slow-device@example.com";
    try (SlowTrigger slow = new SlowTrigger(gateway, "users",
        "BEFORE INSERT ON users FOR EACH ROW WHEN (NEW.email = '" + email + "')", TIMEOUT_MS * 3 / 2)) {
      ApiResponse answered = login(licenses, email, binding);
      assertEquals(503, answered.status(), answered.body());
      Await.until("the gateway's statements on users are over", Duration.ofSeconds(10),
          () -> gateway.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
              + "AND pid <> pg_backend_pid() AND state <> 'idle' AND query ILIKE '%users%'") == 0);
      assertEquals(0, licenses.count("SELECT count(*) FROM users WHERE email = ?", email), "answered 503, no user");
    }
    ApiResponse login = login(licenses, email, binding);
    assertEquals(200, login.status(), login.body());
    assertEquals(true, login.json().getBoolean("new_user"));
    String userId = login.json().getJsonObject("user").getString("id");
    Await.until("user.created of the new user", Duration.ofSeconds(10),
        () -> gateway.count("SELECT count(*) FROM audit_events WHERE type = 'user.created' AND user_id = '" + userId
            + "'") == 1);
  }

  private static ApiResponse login(LicenseFixture licenses, String email, JsonObject binding) {
    JsonObject credentials = new JsonObject().put("app_id", licenses.appId())
        .put("app_secret", licenses.app().getString("app_secret"));
    ApiResponse sent = gateway.http().post("/auth/send-otp", credentials.copy().put("email", email));
    assertEquals(200, sent.status(), sent.body());
    String requestId = sent.json().getString("otp_request_id");
    return gateway.http().post("/auth/verify-otp", credentials.put("otp_request_id", requestId)
        .put("otp", inbox.awaitCode(requestId)).mergeIn(binding));
  }
}
