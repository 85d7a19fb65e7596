package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Verify requests bounded to 25 events each here (PORTCULLIS_AUDIT_VERIFY_MAX_EVENTS). */
@DisplayName("The audit chain verified in bounded pieces")
class AuditVerifyBoundTest {

  private static final int BOUND = 25;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().config(AuditApi.VERIFY_MAX_EVENTS, BOUND);

  // Set by env before any test of the class runs.
  private static TestGateway gateway;

  private static UUID appWithEvents(int count) {
    UUID app = UUID.randomUUID();
    AuditTrail.record(gateway, IntStream.range(0, count)
        .mapToObj(i -> AuditEvent.of(AuditEvent.TOKEN_REFRESHED, app, "req-" + i, "198.51.100.1").with("n", i))
        .toArray(AuditEvent[]::new));
    return app;
  }

  private static ApiResponse verify(UUID app, String cursor) {
    return gateway.http().get("/v1/apps/" + app + "/audit/verify"
        + (cursor == null ? "" : "?cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)),
        Http.bearer(TestGateway.ADMIN_KEY));
  }

  private static JsonObject verified(UUID app, String cursor) {
    ApiResponse response = verify(app, cursor);
    assertEquals(200, response.status(), response.body());
    return response.json();
  }

  @Test
  @DisplayName("a chain longer than the bound answers complete: false and not ok, then its cursors walk the rest to ok")
  void longChainInPieces() {
    UUID app = appWithEvents(60);
    JsonObject first = verified(app, null);
    assertEquals(false, first.getBoolean("complete"), first.encode());
    assertEquals(false, first.getBoolean("ok"), "an unfinished walk is never ok: " + first.encode());
    assertFalse(first.containsKey("first_broken"), first.encode());
    assertEquals(BOUND, first.getInteger("events_checked"));
    assertEquals(BOUND, first.getLong("verified_through_seq"));
    assertFalse(first.containsKey("resumed_after_seq"));

    JsonObject second = verified(app, first.getString("next_cursor"));
    assertEquals(false, second.getBoolean("complete"), second.encode());
    assertEquals(BOUND, second.getLong("resumed_after_seq"));
    assertEquals(2L * BOUND, second.getLong("verified_through_seq"));

    JsonObject last = verified(app, second.getString("next_cursor"));
    assertEquals(true, last.getBoolean("complete"), last.encode());
    assertEquals(true, last.getBoolean("ok"), last.encode());
    assertEquals(10, last.getInteger("events_checked"));
    assertEquals(2L * BOUND, last.getLong("resumed_after_seq"));
    assertNull(last.getString("next_cursor"));
    assertEquals(AuditTrail.rows(gateway, app).get(59).getString("hash"), last.getString("head_hash"));
  }

  @Test
  @DisplayName("a chain within the bound answers complete and ok at once, as before")
  void shortChainAtOnce() {
    JsonObject result = verified(appWithEvents(BOUND - 1), null);
    assertEquals(true, result.getBoolean("ok"), result.encode());
    assertEquals(true, result.getBoolean("complete"));
    assertEquals(BOUND - 1, result.getInteger("events_checked"));
    assertFalse(result.containsKey("next_cursor"));
  }

  @Test
  @DisplayName("a row altered past the first answer's bound is named by the answer that reaches it")
  void breakPastTheBound() throws Exception {
    UUID app = appWithEvents(40);
    JsonObject victim = AuditTrail.rows(gateway, app).get(32);
    try (Connection connection = gateway.jdbc(); Statement sql = connection.createStatement()) {
      sql.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only");
      sql.execute("UPDATE audit_events SET data = '{\"n\": 999}' WHERE id = '" + victim.getString("id") + "'");
      sql.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only");
    }
    JsonObject first = verified(app, null);
    assertEquals(false, first.getBoolean("complete"), first.encode());
    JsonObject second = verified(app, first.getString("next_cursor"));
    assertEquals(true, second.getBoolean("complete"), second.encode());
    assertEquals(false, second.getBoolean("ok"));
    assertEquals(33L, second.getJsonObject("first_broken").getLong("seq"));
    assertEquals("hash_mismatch", second.getJsonObject("first_broken").getString("reason"));
  }

  @Test
  @DisplayName("a cursor that is not one, is another app's, or lies past the chain's end is 400 invalid_request naming cursor")
  void badCursors() {
    UUID app = appWithEvents(BOUND + 5);
    UUID other = appWithEvents(BOUND + 5);
    String othersCursor = verified(other, null).getString("next_cursor");
    String pastTheEnd = Base64.getUrlEncoder().withoutPadding().encodeToString(
        ("chain:" + app + ":99:" + "0".repeat(64)).getBytes(StandardCharsets.UTF_8));
    for (String cursor : List.of("not-a-cursor", othersCursor, pastTheEnd)) {
      ApiResponse response = verify(app, cursor);
      assertEquals(400, response.status(), cursor + ": " + response.body());
      assertEquals("invalid_request", response.error());
      assertTrue(response.json().getString("message").contains("cursor"), response.body());
    }
  }
}
