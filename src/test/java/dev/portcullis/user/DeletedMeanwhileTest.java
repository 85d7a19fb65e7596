package dev.portcullis.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A row checked by a request and deleted by another before the request's write: Postgres answers the write with a
 * foreign-key violation. A trigger raises that violation once, exactly as Postgres words it for the real race
 * (SQLSTATE 23503, the constraint and its table), so each test sees the race every time.
 */
@DisplayName("Writes that refer to a row deleted meanwhile")
class DeletedMeanwhileTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook();

  private static TestGateway gateway;
  private static WebhookReceiver inbox;
  private static EndUsers shop;

  @BeforeAll
  static void start() {
    shop = EndUsers.newApp(gateway, inbox, "deleted-meanwhile");
  }

  /** The next insert into {@code table} fails as if the row its {@code column} refers to had just been deleted. */
  private static void violateOnce(String table, String column) {
    violateOnce(table, column, table);
  }

  /** {@link #violateOnce(String, String)} by a trigger named after {@code name}, for a table's second trigger. */
  private static void violateOnce(String table, String column, String name) {
    String constraint = table + "_" + column + "_fkey";
    name = "violate_once_" + name;
    // A sequence counts outside the transaction, which the violation rolls back: the trigger fires once.
    shop.sql("CREATE SEQUENCE " + name);
    shop.sql("CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + "IF nextval('" + name + "') = 1 THEN "
        + "RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '" + constraint + "', TABLE = '"
        + table + "', MESSAGE = 'insert or update on table \"" + table + "\" violates foreign key constraint \""
        + constraint + "\"'; END IF; RETURN NEW; END $$");
    shop.sql("CREATE TRIGGER " + name + " BEFORE INSERT ON " + table + " FOR EACH ROW EXECUTE FUNCTION " + name + "()");
  }

  /** How many times the trigger of {@link #violateOnce} has fired. */
  private static long fired(String name) {
    return ((Number) shop.sql("SELECT last_value FROM violate_once_" + name)).longValue();
  }

  @Test
  @DisplayName("a password login whose user is deleted as its session is written is 401 invalid_credentials, not 404")
  void passwordLoginOfAUserDeletedMeanwhile() {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Passwords").put("slug", "deleted-meanwhile-pw")
        .put("settings", new JsonObject().put("challenge_required", false).put("require_verified_identity", false)));
    String appId = app.getString("app_id");
    JsonObject credentials = new JsonObject().put("email", "vanishing-pw@example.com")
        .put("password", "correct horse battery staple");
    ApiResponse made = shop.http().post("/v1/apps/" + appId + "/users", credentials, EndUsers.ADMIN);
    assertEquals(201, made.status(), made.body());
    violateOnce("sessions", "user_id", "password_login");

    ApiResponse login = shop.http().post("/auth/login", credentials.copy().put("app_id", appId)
        .put("app_secret", app.getString("app_secret")));

    assertEquals(401, login.status(), login.body());
    assertEquals("invalid_credentials", login.error());
    assertEquals(1, fired("password_login"));
  }

  @Test
  @DisplayName("a sign-in whose user is deleted as its session is written signs the identity in, not invalid_client")
  void signInOfAUserDeletedMeanwhile() {
    String email = "vanishing@example.com";
    String firstUser = shop.signIn(email).getJsonObject("user").getString("id");
    violateOnce("sessions", "user_id");
    ApiResponse again = shop.login(email, null);
    assertEquals(200, again.status(), again.body());
    assertEquals(firstUser, again.json().getJsonObject("user").getString("id"));
    assertEquals(2, fired("sessions"), "the violation, then the sign-in again");
  }

  @Test
  @DisplayName("a member added to a tenant deleted meanwhile is 404 naming tenant_id, not a 500")
  void memberOfATenantDeletedMeanwhile() {
    ApiResponse tenant = shop.http().post(shop.path("/tenants"),
        new JsonObject().put("name", "Gone").put("slug", "gone"), EndUsers.ADMIN);
    assertEquals(201, tenant.status(), tenant.body());
    String userId = shop.signIn("member@example.com").getJsonObject("user").getString("id");
    violateOnce("tenant_members", "tenant_id");
    ApiResponse put = shop.http().put(shop.path("/tenants/" + tenant.json().getString("tenant_id") + "/members/"
        + userId), new JsonObject().put("roles", new JsonArray()), EndUsers.ADMIN);
    assertEquals(404, put.status(), put.body());
    assertEquals("not_found", put.error());
    assertTrue(put.json().getString("message").startsWith("tenant_id: "), put.body());
    assertEquals(1, fired("tenant_members"));
  }
}
