package dev.portcullis.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.audit.AuditOutbox;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.AuditCut;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A membership change and its audit event commit together: with the audit log cut off after the removal committed
 * ({@link dev.portcullis.testing.AuditCut}), it is still acknowledged, its {@code member.removed} stored with it and
 * in the chain once the audit log is back. Recorded after the commit instead, the member was gone with no event,
 * and a retry answered 404.
 */
@DisplayName("Tenants: audit before acknowledgement")
class TenantAuditTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  @Test
  @DisplayName("a member removal whose audit append is cut off is acknowledged, and its event reaches the chain")
  void memberRemoval(TestGateway gateway) throws Exception {
    Membership membership = Membership.of(gateway, "tenant-audit");
    String tenantId = membership.tenantId();
    String userId = membership.userId();
    String member = membership.path();
    ApiResponse added = gateway.http().put(member, new JsonObject().put("roles", new JsonArray()), ADMIN);
    assertEquals(200, added.status(), added.body());
    ApiResponse removed;
    try (AuditCut cut = AuditCut.of(gateway, membership.appId())) {
      removed = cut.during(() -> gateway.http().sendAsync("DELETE", member, null, ADMIN[0], ADMIN[1]));
    }
    assertEquals(200, removed.status(), removed.body());
    Await.until("member.removed in the chain", Duration.ofSeconds(20), () -> gateway.count("SELECT count(*) "
        + "FROM audit_events WHERE type = 'member.removed' AND user_id = '" + userId + "' "
        + "AND data->>'tenant_id' = '" + tenantId + "' AND data->>'sessions_revoked' = '0'") == 1);
  }

  @Test
  @DisplayName("a member put back while a removal of it commits is audited as added (h63: the put's snapshot still "
      + "saw the removed row, so the re-added member had no event at all)")
  void memberReAddedDuringARemoval(TestGateway gateway) throws Exception {
    Membership membership = Membership.of(gateway, "tenant-readd");
    String userId = membership.userId();
    String member = membership.path();
    JsonObject roles = new JsonObject().put("roles", new JsonArray().add("USER"));
    assertEquals(200, gateway.http().put(member, roles, ADMIN).status());
    ApiResponse put;
    try (java.sql.Connection removal = gateway.jdbc();
         java.sql.PreparedStatement delete = removal.prepareStatement(
             "DELETE FROM tenant_members WHERE tenant_id = ?::uuid AND user_id = ?::uuid")) {
      removal.setAutoCommit(false);
      delete.setString(1, membership.tenantId());
      delete.setString(2, userId);
      assertEquals(1, delete.executeUpdate());
      java.util.concurrent.CompletableFuture<ApiResponse> putting = gateway.http().sendAsync("PUT", member,
          roles.encode(), "X-Request-Id", "re-add", ADMIN[0], ADMIN[1], "Content-Type", "application/json");
      Await.until("the put waiting for the removed row", Duration.ofSeconds(10), () -> putting.isDone()
          || gateway.count("SELECT count(*) FROM pg_stat_activity WHERE "
              + "datname = current_database() AND wait_event_type = 'Lock' "
              + "AND query LIKE '%INSERT INTO tenant_members%'") == 1);
      removal.commit();
      put = putting.get(10, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertEquals(200, put.status(), put.body());
    Await.until("member.added of the put", Duration.ofSeconds(20), () -> gateway.count("SELECT count(*) "
        + "FROM audit_events WHERE type = 'member.added' AND request_id = 're-add' "
        + "AND user_id = '" + userId + "'") == 1);
  }

  @Test
  @DisplayName("a change of a member whose earlier change is still staged puts the earlier one in the chain first "
      + "(h63: two changes of one member, committed in one order, were logged in the other)")
  void earlierStagedChangeFirst(TestGateway gateway) throws Exception {
    Membership membership = Membership.of(gateway, "tenant-order");
    String userId = membership.userId();
    // The earlier change committed with its event staged, and its request has not moved it yet.
    AuditOutbox.Staged earlier = AuditOutbox.Staged.of(AuditEvent.of("member.added",
            java.util.UUID.fromString(membership.appId()), "earlier", "192.0.2.1")
        .withUser(java.util.UUID.fromString(userId))
        .with("tenant_id", membership.tenantId()).with("roles", new JsonArray()));
    try (java.sql.Connection staging = gateway.jdbc();
         java.sql.PreparedStatement insert = staging.prepareStatement(
             "INSERT INTO audit_outbox (event_id, event) VALUES (?, ?::jsonb)")) {
      insert.setObject(1, earlier.id());
      insert.setString(2, earlier.event().toJson().encode());
      assertEquals(1, insert.executeUpdate());
    }
    ApiResponse later = gateway.http().send("PUT", membership.path(),
        new JsonObject().put("roles", new JsonArray().add("USER")).encode(), "X-Request-Id", "later", ADMIN[0],
        ADMIN[1], "Content-Type", "application/json");
    assertEquals(200, later.status(), later.body());
    Await.until("both in the chain", Duration.ofSeconds(20), () -> gateway.count("SELECT count(*) FROM audit_events "
        + "WHERE user_id = '" + userId + "' AND request_id IN ('earlier', 'later')") == 2);
    assertEquals(1, gateway.count("SELECT count(*) FROM audit_events a JOIN audit_events b ON b.app_id = a.app_id "
        + "WHERE a.request_id = 'earlier' AND b.request_id = 'later' AND a.user_id = '" + userId + "' "
        + "AND a.seq < b.seq AND a.at <= b.at"), "the earlier change first, by seq and by time");
  }

  /** An app with a tenant and a user (not yet a member of it), named after {@code slug}. */
  private record Membership(String appId, String tenantId, String userId) {

    static Membership of(TestGateway gateway, String slug) {
      String appId = gateway.createApp(slug).getString("app_id");
      String tenantId = created(gateway.http().post("/v1/apps/" + appId + "/tenants",
          new JsonObject().put("name", "Acme").put("slug", slug), ADMIN)).getString("tenant_id");
      String userId = created(gateway.http().post("/v1/apps/" + appId + "/users",
          new JsonObject().put("email", slug + "@example.com"), ADMIN)).getString("id");
      return new Membership(appId, tenantId, userId);
    }

    String path() {
      return "/v1/apps/" + appId + "/tenants/" + tenantId + "/members/" + userId;
    }
  }

  private static JsonObject created(ApiResponse response) {
    assertEquals(201, response.status(), response.body());
    return response.json();
  }
}
