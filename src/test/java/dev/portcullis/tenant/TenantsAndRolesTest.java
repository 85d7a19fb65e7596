package dev.portcullis.tenant;

import static dev.portcullis.user.EndUsers.ADMIN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import dev.portcullis.user.EndUsers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Tenants and roles: the catalogue, grants, memberships, and roles and tid in tokens")
class TenantsAndRolesTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().config(SignIns.LIMITS).auditTap();

  // Set by env before any test of the class runs.
  private static WebhookReceiver inbox;
  private static TestGateway gateway;
  private static AuditTap audit;

  private static String email() {
    return "t-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
  }

  private static JsonObject ok(ApiResponse response, int status) {
    assertEquals(status, response.status(), response.body());
    return response.json();
  }

  private static String tenant(EndUsers app, String slug) {
    return ok(app.http().post(app.path("/tenants"), new JsonObject().put("name", "T " + slug).put("slug", slug), ADMIN), 201)
        .getString("tenant_id");
  }

  private static void member(EndUsers app, String tenantId, String userId, JsonArray roles) {
    ok(app.http().put(app.path("/tenants/" + tenantId + "/members/" + userId), new JsonObject().put("roles", roles), ADMIN), 200);
  }

  @Test
  @DisplayName("lists the five built-ins with their ids, adds custom roles from id 100, and refuses bad names and duplicates")
  void catalogue() {
    EndUsers app = EndUsers.newApp(gateway, inbox, "roles-catalogue");
    JsonArray roles = ok(app.http().get(app.path("/roles"), ADMIN), 200).getJsonArray("roles");
    assertEquals(List.of("1 USER", "2 SELLER", "3 BUYER", "4 SEMIADMIN", "5 ADMIN"), roles.stream()
        .map(r -> ((JsonObject) r).getInteger("id") + " " + ((JsonObject) r).getString("name")).toList());
    assertTrue(roles.getJsonObject(0).getBoolean("builtin"));
    JsonObject teacher = ok(app.http().post(app.path("/roles"),
        new JsonObject().put("name", "TEACHER").put("description", "teaches"), ADMIN), 201);
    assertEquals(100, teacher.getInteger("id"));
    assertEquals(false, teacher.getBoolean("builtin"));
    assertEquals(101, ok(app.http().post(app.path("/roles"), new JsonObject().put("name", "PUPIL"), ADMIN), 201).getInteger("id"));
    assertEquals(409, app.http().post(app.path("/roles"), new JsonObject().put("name", "TEACHER"), ADMIN).status());
    assertEquals(409, app.http().post(app.path("/roles"), new JsonObject().put("name", "ADMIN"), ADMIN).status());
    assertEquals(400, app.http().post(app.path("/roles"), new JsonObject().put("name", "teacher"), ADMIN).status());
    assertEquals(400, app.http().delete(app.path("/roles/ADMIN"), ADMIN).status());
    assertEquals(404, app.http().delete(app.path("/roles/NOBODY"), ADMIN).status());
    JsonObject page = ok(app.http().get(app.path("/roles?limit=5"), ADMIN), 200);
    assertEquals(5, page.getJsonArray("roles").size());
    JsonArray rest = ok(app.http().get(app.path("/roles?limit=5&cursor=" + page.getString("next_cursor")), ADMIN), 200)
        .getJsonArray("roles");
    assertEquals(List.of("TEACHER", "PUPIL"), rest.stream().map(r -> ((JsonObject) r).getString("name")).toList());
  }

  @Test
  @DisplayName("concurrent custom roles get distinct ids from 100 on")
  void concurrentRoles() {
    EndUsers app = EndUsers.newApp(gateway, inbox, "roles-concurrent");
    List<java.util.concurrent.CompletableFuture<dev.portcullis.testing.ApiResponse>> made = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      made.add(app.http().sendAsync("POST", app.path("/roles"), new JsonObject().put("name", "ROLE_" + i).encode(),
          "Content-Type", "application/json", ADMIN[0], ADMIN[1]));
    }
    java.util.Set<Integer> ids = new java.util.TreeSet<>();
    made.forEach(future -> ids.add(ok(future.join(), 201).getInteger("id")));
    assertEquals(java.util.Set.of(100, 101, 102, 103, 104, 105, 106, 107), ids);
  }

  @Test
  @DisplayName("concurrent PUTs of a user's roles, app-wide and in a tenant, end as one of the requested sets, never a mix")
  void concurrentReplacements() {
    EndUsers app = EndUsers.newApp(gateway, inbox, "roles-replace-race");
    String userId = app.signIn(email()).getJsonObject("user").getString("id");
    String tenantId = tenant(app, "race-shop");
    List<String> sets = List.of("SELLER", "BUYER", "SEMIADMIN", "ADMIN");
    for (String path : List.of("/users/" + userId + "/roles", "/tenants/" + tenantId + "/members/" + userId)) {
      for (int round = 0; round < 10; round++) {
        List<java.util.concurrent.CompletableFuture<ApiResponse>> puts = new java.util.ArrayList<>();
        for (int i = 0; i < 16; i++) {
          puts.add(app.http().sendAsync("PUT", app.path(path), new JsonObject()
                  .put("roles", new JsonArray().add(sets.get(i % sets.size()))).encode(),
              "Content-Type", "application/json", ADMIN[0], ADMIN[1]));
        }
        puts.forEach(put -> assertEquals(200, put.join().status(), put.join().body()));
        JsonArray roles = path.startsWith("/users")
            ? ok(app.http().get(app.path("/users/" + userId), ADMIN), 200).getJsonArray("roles")
            : ok(app.http().get(app.path("/tenants/" + tenantId + "/members"), ADMIN), 200).getJsonArray("members")
                .getJsonObject(0).getJsonArray("roles");
        assertEquals(1, roles.size(), path + ": one requested set, not a mix: " + roles);
      }
    }
  }

  @Test
  @DisplayName("PUT roles replaces a user's app-wide roles: /auth/me shows them at once on every process, the next token carries them")
  void appWideRoles() throws Exception {
    EndUsers app = EndUsers.newApp(gateway, inbox, "roles-grants");
    ok(app.http().post(app.path("/roles"), new JsonObject().put("name", "EDITOR"), ADMIN), 201);
    JsonObject tokens = app.signIn(email());
    String userId = tokens.getJsonObject("user").getString("id");
    JWTClaimsSet first = app.verifiedClaims(tokens.getString("access_token"));
    assertEquals(List.of("USER"), first.getStringListClaim("roles"));
    assertNull(first.getClaim("tid"));
    JsonObject me = ok(app.me(tokens.getString("access_token")), 200);
    assertEquals(new JsonArray().add("USER"), me.getJsonArray("roles"));
    try (TestGateway other = gateway.sibling()) {
      String[] bearer = dev.portcullis.testing.Http.bearer(tokens.getString("access_token"));
      assertEquals(new JsonArray().add("USER"), ok(other.http().get("/auth/me", bearer), 200).getJsonArray("roles"),
          "the other process has the session's view cached now");
      JsonObject put = ok(app.http().put(app.path("/users/" + userId + "/roles"),
          new JsonObject().put("roles", new JsonArray().add(2).add("EDITOR")), ADMIN), 200);
      assertEquals(new JsonArray().add("SELLER").add("EDITOR"), put.getJsonArray("roles"));
      JsonObject after = ok(app.me(tokens.getString("access_token")), 200);
      assertEquals(new JsonArray().add("SELLER").add("EDITOR"), after.getJsonArray("roles"));
      assertEquals(new JsonArray().add("SELLER").add("EDITOR"), after.getJsonObject("user").getJsonArray("roles"));
      assertEquals(new JsonArray().add("SELLER").add("EDITOR"),
          ok(other.http().get("/auth/me", bearer), 200).getJsonArray("roles"), "at once on every process");
    }
    JsonObject refreshed = ok(app.refresh(tokens.getString("refresh_token"), null), 200);
    assertEquals(List.of("SELLER", "EDITOR"), app.verifiedClaims(refreshed.getString("access_token")).getStringListClaim("roles"));
    assertTrue(audit.of("role.granted", app.appId()).stream().anyMatch(e -> userId.equals(e.getString("user_id"))
        && e.getJsonObject("data").getJsonArray("roles").equals(new JsonArray().add("SELLER").add("EDITOR"))));
    assertTrue(audit.of("role.revoked", app.appId()).stream().anyMatch(e -> userId.equals(e.getString("user_id"))));
    assertEquals(400, app.http().put(app.path("/users/" + userId + "/roles"),
        new JsonObject().put("roles", new JsonArray().add("GHOST")), ADMIN).status());
    assertEquals(404, app.http().put(app.path("/users/" + UUID.randomUUID() + "/roles"),
        new JsonObject().put("roles", new JsonArray().add("USER")), ADMIN).status());
    ok(app.http().delete(app.path("/roles/EDITOR"), ADMIN), 200);
    assertEquals(new JsonArray().add("SELLER"), ok(app.me(tokens.getString("access_token")), 200).getJsonArray("roles"),
        "deleting a role removes its grants, at once");
  }

  @Test
  @DisplayName("a login into a tenant binds the session: tid and the tenant's roles verify with nimbus-jose-jwt")
  void tenantLogin() throws Exception {
    EndUsers app = EndUsers.newApp(gateway, inbox, "tenants-login");
    String email = email();
    String userId = app.signIn(email).getJsonObject("user").getString("id");
    String school = tenant(app, "school-a");
    String other = tenant(app, "school-b");
    member(app, school, userId, new JsonArray().add("SEMIADMIN").add(3));
    JsonObject tokens = ok(app.login(email, school), 200);
    JWTClaimsSet claims = app.verifiedClaims(tokens.getString("access_token"));
    assertEquals(school, claims.getStringClaim("tid"));
    assertEquals(List.of("USER", "BUYER", "SEMIADMIN"), claims.getStringListClaim("roles"));
    JsonObject me = ok(app.me(tokens.getString("access_token")), 200);
    assertEquals(school, me.getJsonObject("session").getString("tenant_id"));
    assertTrue(me.getJsonObject("session").containsKey("device_id"));
    assertEquals(new JsonArray().add("USER"), me.getJsonObject("user").getJsonArray("roles"), "app-wide roles");
    ApiResponse notMember = app.login(email, other);
    assertEquals(403, notMember.status());
    assertEquals("forbidden", notMember.error());
    assertEquals(403, app.login(email, UUID.randomUUID().toString()).status());
    assertEquals(400, app.login(email, "not-a-uuid").status());
  }

  @Test
  @DisplayName("a first login naming a tenant is 403 and makes no user: the next login reports new_user true")
  void firstLoginIntoATenantMakesNoUser() {
    EndUsers app = EndUsers.newApp(gateway, inbox, "tenants-first");
    String email = email();
    String school = tenant(app, "school-first");
    ApiResponse refused = app.login(email, school);
    assertEquals(403, refused.status(), refused.body());
    assertEquals("forbidden", refused.error());
    ApiResponse users = app.http().get(app.path("/users?q=" + java.net.URLEncoder.encode(email,
        java.nio.charset.StandardCharsets.UTF_8)), ADMIN);
    assertEquals(0, ok(users, 200).getJsonArray("users").size(), "no user for a login that could not go on");
    assertEquals(true, ok(app.login(email, null), 200).getBoolean("new_user"));
  }

  /** A signed-up user who is a SELLER in shop a and a BUYER in shop b, and no member of shop c. */
  private record ThreeShops(EndUsers app, String email, String a, String b, String c) {
    static ThreeShops of(EndUsers app) {
      String email = TenantsAndRolesTest.email();
      String userId = app.signIn(email).getJsonObject("user").getString("id");
      ThreeShops shops = new ThreeShops(app, email, tenant(app, "shop-a"), tenant(app, "shop-b"),
          tenant(app, "shop-c"));
      member(app, shops.a(), userId, new JsonArray().add("SELLER"));
      member(app, shops.b(), userId, new JsonArray().add("BUYER"));
      return shops;
    }
  }

  @Test
  @DisplayName("a refresh may switch tenant (members only, 403 otherwise), /auth/me shows it at once on every process, "
      + "and the session keeps its tenant without tenant_id")
  void refreshSwitchesTenant() throws Exception {
    ThreeShops shops = ThreeShops.of(EndUsers.newApp(gateway, inbox, "tenants-refresh"));
    EndUsers app = shops.app();
    String email = shops.email();
    String a = shops.a();
    String b = shops.b();
    String c = shops.c();
    JsonObject tokens = ok(app.login(email, a), 200);
    JsonObject kept = ok(app.refresh(tokens.getString("refresh_token"), null), 200);
    JWTClaimsSet keptClaims = app.verifiedClaims(kept.getString("access_token"));
    assertEquals(a, keptClaims.getStringClaim("tid"));
    assertEquals(List.of("USER", "SELLER"), keptClaims.getStringListClaim("roles"));
    ApiResponse refused = app.refresh(kept.getString("refresh_token"), c);
    assertEquals(403, refused.status(), refused.body());
    assertEquals("forbidden", refused.error());
    try (TestGateway other = gateway.sibling()) {
      String[] keptBearer = dev.portcullis.testing.Http.bearer(kept.getString("access_token"));
      assertEquals(a, ok(other.http().get("/auth/me", keptBearer), 200).getJsonObject("session").getString("tenant_id"),
          "the other process has the session's view cached now");
      assertEquals(a, ok(app.me(kept.getString("access_token")), 200).getJsonObject("session").getString("tenant_id"));
      JsonObject switched = ok(app.refresh(kept.getString("refresh_token"), b), 200);
      JWTClaimsSet switchedClaims = app.verifiedClaims(switched.getString("access_token"));
      assertEquals(b, switchedClaims.getStringClaim("tid"));
      assertEquals(List.of("USER", "BUYER"), switchedClaims.getStringListClaim("roles"));
      for (JsonObject me : List.of(ok(app.me(switched.getString("access_token")), 200),
          ok(other.http().get("/auth/me", dev.portcullis.testing.Http.bearer(switched.getString("access_token"))), 200))) {
        assertEquals(b, me.getJsonObject("session").getString("tenant_id"), "the switch shows at once: " + me);
        assertEquals(new JsonArray().add("USER").add("BUYER"), me.getJsonArray("roles"), "with the new tenant's roles");
      }
    }
  }

  @Test
  @DisplayName("a retry of a spent refresh token within the grace answers its first refresh only for that "
      + "refresh's tenant (or none): another tenant's, a member's or not, is 403 (probe h42: 200, tenant unchanged)")
  void retryKeepsTheFirstRefreshsTenant() throws Exception {
    ThreeShops shops = ThreeShops.of(EndUsers.newApp(gateway, inbox, "tenants-retry"));
    EndUsers app = shops.app();
    String email = shops.email();
    String a = shops.a();
    String b = shops.b();
    String c = shops.c();
    String spent = ok(app.login(email, a), 200).getString("refresh_token");
    String successor = ok(app.refresh(spent, b), 200).getString("refresh_token");

    for (String other : List.of(a, c)) {
      ApiResponse refused = app.refresh(spent, other);
      assertEquals(403, refused.status(), refused.body());
      assertEquals("forbidden", refused.error());
    }
    assertEquals(successor, ok(app.refresh(spent, b), 200).getString("refresh_token"));
    assertEquals(successor, ok(app.refresh(spent, null), 200).getString("refresh_token"));
    String access = ok(app.refresh(successor, null), 200).getString("access_token");
    assertEquals(b, app.verifiedClaims(access).getStringClaim("tid"), "the session lives on in the first's tenant");
  }

  @Test
  @DisplayName("removing a member, or deleting a tenant, revokes the sessions bound to it and no others")
  void removalRevokes() {
    EndUsers app = EndUsers.newApp(gateway, inbox, "tenants-revoke");
    String email = email();
    JsonObject plain = app.signIn(email);
    String userId = plain.getJsonObject("user").getString("id");
    String a = tenant(app, "org-a");
    String b = tenant(app, "org-b");
    member(app, a, userId, new JsonArray());
    member(app, b, userId, new JsonArray().add("ADMIN"));
    JsonObject inA = ok(app.login(email, a), 200);
    JsonObject inB = ok(app.login(email, b), 200);
    JsonArray members = ok(app.http().get(app.path("/tenants/" + a + "/members"), ADMIN), 200).getJsonArray("members");
    assertEquals(1, members.size());
    assertEquals(userId, members.getJsonObject(0).getString("user_id"));
    ok(app.http().delete(app.path("/tenants/" + a + "/members/" + userId), ADMIN), 200);
    assertEquals("session_revoked", app.me(inA.getString("access_token")).error());
    assertEquals(200, app.me(inB.getString("access_token")).status());
    assertEquals(200, app.me(plain.getString("access_token")).status());
    assertEquals(403, app.login(email, a).status());
    assertEquals(404, app.http().delete(app.path("/tenants/" + a + "/members/" + userId), ADMIN).status());
    assertEquals(1, audit.of("member.removed", app.appId()).size());
    ok(app.http().delete(app.path("/tenants/" + b), ADMIN), 200);
    assertEquals("session_revoked", app.me(inB.getString("access_token")).error());
    assertEquals(200, app.me(plain.getString("access_token")).status());
    assertEquals(404, app.http().get(app.path("/tenants/" + b), ADMIN).status());
    assertEquals(1, audit.of("tenant.deleted", app.appId()).size());
  }

  @Test
  @DisplayName("tenants: create (409 on a taken slug), get, patch, list paged, and other apps' tenants are 404")
  void tenantCrud() {
    EndUsers app = EndUsers.newApp(gateway, inbox, "tenants-crud");
    EndUsers other = EndUsers.newApp(gateway, inbox, "tenants-crud-other");
    JsonObject created = ok(app.http().post(app.path("/tenants"), new JsonObject().put("name", "North").put("slug", "north"),
        ADMIN), 201);
    String id = created.getString("tenant_id");
    assertEquals(List.of("created_at", "name", "slug", "tenant_id"), created.fieldNames().stream().sorted().toList());
    assertEquals(409, app.http().post(app.path("/tenants"), new JsonObject().put("name", "N2").put("slug", "north"), ADMIN)
        .status());
    assertEquals(201, other.http().post(other.path("/tenants"), new JsonObject().put("name", "N").put("slug", "north"), ADMIN)
        .status(), "slugs are unique per app");
    assertEquals(400, app.http().post(app.path("/tenants"), new JsonObject().put("name", "x").put("slug", "No Spaces"), ADMIN)
        .status());
    assertEquals("Northern", ok(app.http().patch(app.path("/tenants/" + id), new JsonObject().put("name", "Northern"), ADMIN),
        200).getString("name"));
    assertEquals(404, other.http().get(other.path("/tenants/" + id), ADMIN).status());
    tenant(app, "south");
    tenant(app, "east");
    JsonObject page = ok(app.http().get(app.path("/tenants?limit=2"), ADMIN), 200);
    assertEquals(List.of("east", "south"), page.getJsonArray("tenants").stream()
        .map(t -> ((JsonObject) t).getString("slug")).toList());
    JsonObject last = ok(app.http().get(app.path("/tenants?limit=2&cursor=" + page.getString("next_cursor")), ADMIN), 200);
    assertEquals(List.of("north"), last.getJsonArray("tenants").stream().map(t -> ((JsonObject) t).getString("slug")).toList());
    assertNull(last.getValue("next_cursor"));
    String stranger = other.signIn(email()).getJsonObject("user").getString("id");
    assertEquals(404, app.http().put(app.path("/tenants/" + id + "/members/" + stranger),
        new JsonObject().put("roles", new JsonArray()), ADMIN).status(), "a user of another app");
    String member = app.signIn(email()).getJsonObject("user").getString("id");
    member(app, id, member, new JsonArray().add("SELLER"));
    for (JsonObject noRoles : List.of(new JsonObject(), new JsonObject().putNull("roles"))) {
      ApiResponse refused = app.http().put(app.path("/tenants/" + id + "/members/" + member), noRoles, ADMIN);
      assertEquals(400, refused.status(), refused.body());
      assertTrue(refused.json().getString("message").startsWith("roles"), refused.body());
    }
    assertEquals(new JsonArray().add("SELLER"), ok(app.http().get(app.path("/tenants/" + id + "/members"), ADMIN), 200)
        .getJsonArray("members").getJsonObject(0).getJsonArray("roles"), "a PUT without roles changes nothing");
  }

  @Test
  @DisplayName("default_roles is validated with the other settings and given to new users")
  void defaultRoles() throws Exception {
    EndUsers app = EndUsers.newApp(gateway, inbox, "roles-defaults");
    JsonObject settings = ok(app.http().get(app.path(""), ADMIN), 200).getJsonObject("settings");
    assertEquals(new JsonArray().add("USER"), settings.getJsonArray("default_roles"));
    ok(app.http().post(app.path("/roles"), new JsonObject().put("name", "MEMBER"), ADMIN), 201);
    JsonObject patched = ok(app.http().patch(app.path(""), new JsonObject().put("settings",
        new JsonObject().put("default_roles", new JsonArray().add(3).add(100))), ADMIN), 200);
    assertEquals(new JsonArray().add("BUYER").add("MEMBER"), patched.getJsonObject("settings").getJsonArray("default_roles"));
    ApiResponse unknown = app.http().patch(app.path(""), new JsonObject().put("settings",
        new JsonObject().put("default_roles", new JsonArray().add("GHOST"))), ADMIN);
    assertEquals(400, unknown.status());
    assertTrue(unknown.json().getString("message").startsWith("settings.default_roles"), unknown.body());
    assertEquals(400, gateway.http().post("/v1/apps", new JsonObject().put("name", "x").put("slug", "roles-defaults-2")
        .put("settings", new JsonObject().put("default_roles", new JsonArray().add("MEMBER"))), ADMIN).status());
    JsonObject tokens = app.signIn(email());
    assertEquals(List.of("BUYER", "MEMBER"), app.verifiedClaims(tokens.getString("access_token")).getStringListClaim("roles"));
    JsonObject made = ok(app.http().post(app.path("/users"), new JsonObject().put("email", email()), ADMIN), 201);
    assertEquals(new JsonArray().add("BUYER").add("MEMBER"), made.getJsonArray("roles"));
  }

  @Test
  @DisplayName("a role deleted while a settings change names it in default_roles makes that change 400, never a dangling default")
  void defaultRoleDeletedMeanwhile() throws Exception {
    EndUsers app = EndUsers.newApp(gateway, inbox, "roles-racing");
    ok(app.http().post(app.path("/roles"), new JsonObject().put("name", "FLEETING"), ADMIN), 201);
    // The deletion holds the app's row (as a role's deletion does) while the change checks the role and waits for
    // the row; the deletion then commits.
    try (java.sql.Connection deletion = gateway.jdbc()) {
      deletion.setAutoCommit(false);
      try (java.sql.PreparedStatement lock = deletion.prepareStatement("SELECT 1 FROM apps WHERE id = ? FOR UPDATE")) {
        lock.setObject(1, java.util.UUID.fromString(app.appId()));
        lock.executeQuery().close();
      }
      java.util.concurrent.CompletableFuture<ApiResponse> change = app.http().sendAsync("PATCH", app.path(""),
          new JsonObject().put("settings", new JsonObject().put("default_roles", new JsonArray().add("FLEETING")))
              .encode(), "Content-Type", "application/json", ADMIN[0], ADMIN[1]);
      dev.portcullis.testing.Await.until("the change waiting for the app's row", java.time.Duration.ofSeconds(10),
          () -> change.isDone() || gateway.count("SELECT count(*) FROM pg_stat_activity WHERE "
              + "datname = current_database() AND wait_event_type = 'Lock' "
              + "AND query LIKE '%FROM apps%FOR UPDATE%'") == 1);
      try (java.sql.PreparedStatement delete = deletion.prepareStatement(
          "DELETE FROM roles WHERE app_id = ? AND name = 'FLEETING'")) {
        delete.setObject(1, java.util.UUID.fromString(app.appId()));
        assertEquals(1, delete.executeUpdate());
      }
      deletion.commit();
      ApiResponse answer = change.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(400, answer.status(), answer.body());
      assertTrue(answer.json().getString("message").startsWith("settings.default_roles"), answer.body());
    }
    assertEquals(new JsonArray().add("USER"), ok(app.http().get(app.path(""), ADMIN), 200).getJsonObject("settings")
        .getJsonArray("default_roles"));
  }

  @Test
  @DisplayName("a role in default_roles cannot be deleted (409), and a deleted role's id is never given to another role")
  void deletedRoles() {
    EndUsers app = EndUsers.newApp(gateway, inbox, "roles-deleted");
    ok(app.http().post(app.path("/roles"), new JsonObject().put("name", "TRIAL"), ADMIN), 201);
    ok(app.http().patch(app.path(""), new JsonObject().put("settings",
        new JsonObject().put("default_roles", new JsonArray().add("USER").add("TRIAL"))), ADMIN), 200);
    ApiResponse inUse = app.http().delete(app.path("/roles/TRIAL"), ADMIN);
    assertEquals(409, inUse.status(), inUse.body());
    assertEquals("conflict", inUse.error());
    assertTrue(inUse.json().getString("message").contains("default_roles"), inUse.body());
    assertEquals(409, app.http().delete(app.path("/roles/100"), ADMIN).status(), "by id too");
    ok(app.http().patch(app.path(""), new JsonObject().put("settings",
        new JsonObject().put("default_roles", new JsonArray().add("USER"))), ADMIN), 200);
    ok(app.http().delete(app.path("/roles/TRIAL"), ADMIN), 200);
    JsonObject again = ok(app.http().post(app.path("/roles"), new JsonObject().put("name", "TRIAL"), ADMIN), 201);
    assertEquals(101, again.getInteger("id"), "the deleted role's id 100 stays unused");
    ok(app.http().delete(app.path("/roles/101"), ADMIN), 200);
    assertEquals(102, ok(app.http().post(app.path("/roles"), new JsonObject().put("name", "OTHER"), ADMIN), 201)
        .getInteger("id"));
    assertEquals(404, app.http().delete(app.path("/roles/100"), ADMIN).status(), "a deleted id names no role");
  }

  @Test
  @DisplayName("a member's role granted while the role is being deleted is refused once the deletion commits, not "
      + "kept as a dead id (h96: 19 of 30 races kept it)")
  void grantRacingRoleDeletion() throws Exception {
    EndUsers app = EndUsers.newApp(gateway, inbox, "tenants-role-race");
    ok(app.http().post(app.path("/roles"), new JsonObject().put("name", "DOOMED"), ADMIN), 201);
    String tenantId = tenant(app, "race");
    String userId = app.signIn(email()).getJsonObject("user").getString("id");
    Object roleId = app.sql("SELECT id FROM roles WHERE app_id = ?::uuid AND name = 'DOOMED'", app.appId());
    try (java.sql.Connection db = gateway.jdbc(); java.sql.Statement deletion = db.createStatement()) {
      db.setAutoCommit(false);
      // The deletion's own statements, not yet committed: the role held, its member grants swept, the role gone.
      deletion.execute("SELECT 1 FROM roles WHERE id = " + roleId + " FOR UPDATE");
      deletion.execute("UPDATE tenant_members SET roles = array_remove(roles, " + roleId + ") WHERE roles @> ARRAY["
          + roleId + "]");
      deletion.execute("DELETE FROM roles WHERE id = " + roleId);
      java.util.concurrent.CompletableFuture<ApiResponse> grant = app.http().sendAsync("PUT",
          app.path("/tenants/" + tenantId + "/members/" + userId), new JsonObject().put("roles",
              new JsonArray().add("USER").add("DOOMED")).encode(), "Content-Type", "application/json",
          ADMIN[0], ADMIN[1]);
      dev.portcullis.testing.Await.until("the grant waits for the deletion", java.time.Duration.ofSeconds(10),
          () -> grant.isDone() || gateway.count("SELECT count(*) FROM pg_stat_activity WHERE datname = "
              + "current_database() AND wait_event_type = 'Lock' AND query LIKE '%tenant_members%'") > 0);
      db.commit();
      assertEquals(400, grant.join().status(), grant.join().body());
    }
    assertEquals(0, gateway.count("SELECT count(*) FROM tenant_members WHERE roles @> ARRAY[" + roleId + "]"));
  }

  @Test
  @DisplayName("a tenant name with a control or text-direction character, or with nothing to see, is 400 naming name, "
      + "on create and on change; accents, CJK, emoji and direction marks are ordinary text")
  void tenantNameHiddenCharacters() {
    EndUsers app = EndUsers.newApp(gateway, inbox, "tenants-text");
    String ordinary = "Caf\u00e9 \u6771\u4eac \uD83C\uDF89 \u05D3\u05D5\u05D3 \u200FCohen\u200E";
    JsonObject created = ok(app.http().post(app.path("/tenants"), new JsonObject().put("name", ordinary)
        .put("slug", "text-ok"), ADMIN), 201);
    assertEquals(ordinary, created.getString("name"));
    String path = app.path("/tenants/" + created.getString("tenant_id"));
    // C1 controls and the line separator too (h95: U+0085, U+009B and U+2028 were taken)
    for (String hidden : List.of("a\u0001b", "a\u202Eb", "a\u2066b", "c1\u0085nel", "csi\u009b31m", "ls\u2028line",
        "swap\u206Ax", "note\uFFF9x")) {
      ApiResponse refused = app.http().post(app.path("/tenants"), new JsonObject().put("name", hidden)
          .put("slug", "text-refused"), ADMIN);
      assertEquals(400, refused.status(), refused.body());
      assertEquals("name: must not contain control or text-direction characters", refused.json().getString("message"));
      ApiResponse changed = app.http().patch(path, new JsonObject().put("name", hidden), ADMIN);
      assertEquals(400, changed.status(), changed.body());
      assertEquals("name: must not contain control or text-direction characters", changed.json().getString("message"));
    }
    // Nothing to see (h21: accepted, listed as a blank): zero-width space, BOM, word joiner with a soft hyphen, the
    // Hangul filler, a tag character, the blank Braille pattern, the musical null notehead (h27).
    for (String blank : List.of("\u200B", "\uFEFF", "\u2060\u00AD", "\u3164", "\uDB40\uDC41", "\u2800 \u200C",
        "\uD834\uDD59")) {
      ApiResponse refused = app.http().patch(path, new JsonObject().put("name", blank), ADMIN);
      assertEquals(400, refused.status(), refused.body());
      assertEquals("name: must contain a letter, digit, punctuation mark or symbol", refused.json().getString("message"));
    }
    assertEquals(List.of("text-ok"), ok(app.http().get(app.path("/tenants"), ADMIN), 200).getJsonArray("tenants").stream()
        .map(t -> ((JsonObject) t).getString("slug")).toList(), "a refused create makes no tenant");
    assertEquals(ordinary, ok(app.http().get(path, ADMIN), 200).getString("name"), "a refused change changes nothing");
    assertEquals("Z\u00fcrich \u5317", ok(app.http().patch(path, new JsonObject().put("name", "Z\u00fcrich \u5317"), ADMIN),
        200).getString("name"));
  }
}
