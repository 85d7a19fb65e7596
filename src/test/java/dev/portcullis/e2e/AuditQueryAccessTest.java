package dev.portcullis.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The audit query API over events that real sign-ins wrote, as the owner of the app and as another owner see it. */
@DisplayName("End to end: an owner reads its app's audit log, filtered; another owner cannot")
class AuditQueryAccessTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().config(SignIns.LIMITS);

  // Set by env before any test of the class runs.
  private static WebhookReceiver receiver;
  private static TestGateway gateway;
  private static String ownerToken;
  private static String otherOwnerToken;
  private static String appId;
  private static String alice;
  private static String bob;

  @BeforeAll
  static void start() {
    ownerToken = SignIns.owner(gateway, receiver, "owen.owner@example.com").getString("access_token");
    otherOwnerToken = SignIns.owner(gateway, receiver, "otto.other@example.com").getString("access_token");
    ApiResponse created = gateway.http().post("/v1/apps", new JsonObject().put("name", "Owned").put("slug", "owned-app"),
        Http.bearer(ownerToken));
    assertEquals(201, created.status(), created.body());
    JsonObject app = created.json();
    appId = app.getString("app_id");
    alice = SignIns.user(gateway, receiver, app, "alice@example.com").getJsonObject("user").getString("id");
    bob = SignIns.user(gateway, receiver, app, "bob@example.com").getJsonObject("user").getString("id");
  }

  @Test
  @DisplayName("type= returns only that type's events of the app, newest first")
  void filterByType() {
    JsonArray events = events(ownerToken, "type=" + AuditEvent.TOKEN_ISSUED);
    assertEquals(2, events.size(), events.encodePrettily());
    assertEquals(List.of(bob, alice), field(events, "user_id"));
    assertEquals(Set.of(AuditEvent.TOKEN_ISSUED), Set.copyOf(field(events, "type")));
    assertEquals(Set.of(appId), Set.copyOf(field(events, "app_id")));
  }

  @Test
  @DisplayName("user_id= returns only that user's events: verified, created, token issued")
  void filterByUser() {
    JsonArray events = events(ownerToken, "user_id=" + alice);
    assertEquals(List.of(AuditEvent.TOKEN_ISSUED, AuditEvent.USER_CREATED, AuditEvent.OTP_VERIFIED), field(events, "type"));
    assertEquals(Set.of(alice), Set.copyOf(field(events, "user_id")));
    assertEquals(1, events(ownerToken, "type=" + AuditEvent.USER_CREATED + "&user_id=" + bob).size());
  }

  @Test
  @DisplayName("the unfiltered log holds the app's creation and both sign-ins, and its chain verifies for the owner")
  void wholeLogVerifies() {
    JsonArray events = events(ownerToken, "");
    assertEquals(Set.of(AuditEvent.APP_CREATED, AuditEvent.OTP_SENT, AuditEvent.OTP_VERIFIED, AuditEvent.USER_CREATED,
        AuditEvent.TOKEN_ISSUED), Set.copyOf(field(events, "type")));
    ApiResponse verified = gateway.http().get("/v1/apps/" + appId + "/audit/verify", Http.bearer(ownerToken));
    assertEquals(200, verified.status(), verified.body());
    assertEquals(true, verified.json().getBoolean("ok"));
    assertEquals(events.size(), verified.json().getInteger("events_checked"));
  }

  @Test
  @DisplayName("another owner gets 404 not_found for the log, a filtered log and the verify of the app")
  void otherOwnerSeesNothing() {
    for (String path : List.of("/audit", "/audit?type=" + AuditEvent.TOKEN_ISSUED, "/audit/verify")) {
      ApiResponse refused = gateway.http().get("/v1/apps/" + appId + path, Http.bearer(otherOwnerToken));
      assertEquals(404, refused.status(), path + ": " + refused.body());
      assertEquals("not_found", refused.error());
    }
  }

  private static JsonArray events(String token, String query) {
    ApiResponse listed = gateway.http().get("/v1/apps/" + appId + "/audit" + (query.isEmpty() ? "" : "?" + query),
        Http.bearer(token));
    assertEquals(200, listed.status(), listed.body());
    return listed.json().getJsonArray("events");
  }

  private static List<String> field(JsonArray events, String name) {
    return events.stream().map(event -> ((JsonObject) event).getString(name)).toList();
  }
}
