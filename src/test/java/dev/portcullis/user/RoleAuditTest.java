package dev.portcullis.user;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * A role change and its audit event commit together: with the audit log cut off after the change committed
 * ({@link AuditCut}), the replacement is still acknowledged, its {@code role.granted} stored with it and in the
 * chain once the audit log is back. Recorded after the commit instead, an ADMIN grant stayed with no event, and
 * its retry, changing nothing, recorded none either.
 */
@DisplayName("Roles: audit before acknowledgement")
class RoleAuditTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  @Test
  @DisplayName("a role replacement whose audit append is cut off is acknowledged, and its event reaches the chain")
  void replacement(TestGateway gateway) throws Exception {
    String appId = gateway.createApp("role-audit").getString("app_id");
    ApiResponse created = gateway.http().post("/v1/apps/" + appId + "/users",
        new JsonObject().put("email", "role-audit@example.com"), ADMIN);
    assertEquals(201, created.status(), created.body());
    String userId = created.json().getString("id");
    String body = new JsonObject().put("roles", new JsonArray().add("USER").add("ADMIN")).encode();
    ApiResponse replaced;
    try (AuditCut cut = AuditCut.of(gateway, appId)) {
      replaced = cut.during(() -> gateway.http().sendAsync("PUT", "/v1/apps/" + appId + "/users/" + userId + "/roles",
          body, "Content-Type", "application/json", ADMIN[0], ADMIN[1]));
    }
    assertEquals(200, replaced.status(), replaced.body());
    assertEquals(new JsonArray().add("ADMIN").add("USER"), new JsonArray(replaced.json().getJsonArray("roles").stream()
        .sorted().toList()));
    Await.until("role.granted in the chain", Duration.ofSeconds(20), () -> gateway.count("SELECT count(*) FROM audit_events "
        + "WHERE type = 'role.granted' AND user_id = '" + userId + "' AND data->'roles' = '[\"ADMIN\"]'::jsonb") == 1);
  }
}
