package dev.portcullis.user;

import static dev.portcullis.user.EndUsers.ADMIN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Users admin API: list, search, create, change, disable, delete, sessions")
class UserAdminApiTest {

  private static final Set<String> USER_FIELDS = Set.of("id", "email", "phone", "email_verified", "phone_verified",
      "profile", "roles", "disabled", "has_password", "created_at", "last_login_at");
  /** What must never appear in a user answer: a PHC hash, a code field, a token field. */
  private static final Pattern SECRET = Pattern.compile(
      "\\$argon2|password_hash|\"(code|otp|verification_code|refresh_token|access_token|token)\"");

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().config(SignIns.LIMITS).auditTap();

  // Set by env before any test of the class runs.
  private static WebhookReceiver inbox;
  private static TestGateway gateway;
  private static AuditTap audit;
  private static EndUsers shop;
  private static final List<JsonObject> securityEvents = new CopyOnWriteArrayList<>();
  private static MessageConsumer<JsonObject> securityTap;

  @BeforeAll
  static void start() {
    shop = EndUsers.newApp(gateway, inbox, "users-shop");
    securityTap = gateway.vertx().eventBus().consumer(UserApi.SECURITY_EVENTS, message -> securityEvents.add(message.body()));
  }

  @AfterAll
  static void stop() {
    securityTap.unregister();
  }

  @Test
  @DisplayName("a session a login stores while its user is deleted is revoked with the others, its session.revoked "
      + "with the deletion (h95: committed between the revocation and the delete, it went with the row unannounced)")
  void deletionRevokesASessionStoredMeanwhile() throws Exception {
    String email = email();
    String userId = shop.signIn(email).getJsonObject("user").getString("id");
    ApiResponse sent = shop.http().post("/auth/send-otp", shop.credentials().put("email", email));
    String requestId = sent.json().getString("otp_request_id");
    JsonObject verify = shop.credentials().put("otp_request_id", requestId).put("otp", inbox.awaitCode(requestId));
    // The login's session, its reference share-locking the user row, counts itself and holds its transaction 0.5 s.
    shop.sql("CREATE SEQUENCE stored_meanwhile");
    shop.sql("CREATE FUNCTION stored_meanwhile() RETURNS trigger LANGUAGE plpgsql AS "
        + "$$ BEGIN PERFORM nextval('stored_meanwhile'); PERFORM pg_sleep(0.5); RETURN NEW; END $$");
    shop.sql("CREATE TRIGGER stored_meanwhile AFTER INSERT ON sessions FOR EACH ROW WHEN (NEW.user_id = '" + userId
        + "'::uuid) EXECUTE FUNCTION stored_meanwhile()");
    try {
      java.util.concurrent.CompletableFuture<ApiResponse> login = shop.http().postAsync("/auth/verify-otp", verify);
      Await.until("the login storing its session", java.time.Duration.ofSeconds(5), () -> ((Number) shop.sql(
          "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM stored_meanwhile")).longValue() >= 1);
      assertEquals(200, shop.http().delete(shop.path("/users/" + userId), ADMIN).status());
      login.get(10, java.util.concurrent.TimeUnit.SECONDS);
    } finally {
      shop.sql("DROP TRIGGER stored_meanwhile ON sessions");
      shop.sql("DROP FUNCTION stored_meanwhile()");
      shop.sql("DROP SEQUENCE stored_meanwhile");
    }
    Set<String> issued = sessionsIn(AuditEvent.TOKEN_ISSUED, userId);
    Await.until("a session.revoked for each session issued", java.time.Duration.ofSeconds(5),
        () -> sessionsIn(AuditEvent.SESSION_REVOKED, userId).containsAll(issued));
    assertEquals(2, issued.size(), "the first sign-in's session and the one stored meanwhile: " + issued);
  }

  private static Set<String> sessionsIn(String type, String userId) {
    Set<String> ids = new java.util.HashSet<>();
    audit.of(type, shop.appId()).stream().filter(event -> userId.equals(event.getString("user_id")))
        .forEach(event -> ids.add(event.getJsonObject("data").getString("session_id")));
    return ids;
  }

  private static String email() {
    return "u-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
  }

  private static JsonObject create(JsonObject body) {
    ApiResponse created = shop.http().post(shop.path("/users"), body, ADMIN);
    assertEquals(201, created.status(), created.body());
    noSecrets(created);
    return created.json();
  }

  private static void noSecrets(ApiResponse response) {
    assertFalse(SECRET.matcher(response.body()).find(), "a secret-looking field in " + response.body());
  }

  @Test
  @DisplayName("creates an unverified user with the app's default roles and answers the user object")
  void createsUser() {
    String email = email();
    JsonObject user = create(new JsonObject().put("email", "  " + email.toUpperCase() + " ")
        .put("profile", new JsonObject().put("name", "Ada").put("dob", "1990-02-03")));
    JsonObject nested = user.getJsonObject("user");
    assertEquals(USER_FIELDS, nested.fieldNames());
    JsonObject flat = user.copy();
    flat.remove("user");
    assertEquals(nested, flat, "the user object, at the top and under user");
    assertEquals(email, user.getString("email"));
    assertFalse(user.getBoolean("email_verified"));
    assertEquals(new JsonArray().add("USER"), user.getJsonArray("roles"));
    assertFalse(user.getBoolean("has_password"));
    assertFalse(user.getBoolean("disabled"));
    assertNull(user.getValue("last_login_at"));
    assertEquals(new JsonObject().put("name", "Ada").putNull("address").putNull("gender").put("dob", "1990-02-03"),
        user.getJsonObject("profile"));
    JsonObject event = audit.of("user.created", shop.appId()).stream()
        .filter(e -> user.getString("id").equals(e.getString("user_id"))).findFirst().orElseThrow();
    assertFalse(event.encode().contains(email), "the audit event holds the full email: " + event);
    assertEquals("operator", event.getJsonObject("data").getString("actor"));
    String metrics = gateway.management().get("/metrics").body();
    assertTrue(metrics.lines().anyMatch(line -> line.startsWith("portcullis_users_added_total ")
        && !line.endsWith(" 0.0")), "counted under the name the README gives");
  }

  @Test
  @DisplayName("refuses a second user with the same identity (409) and unknown fields, roles and bad dates (400)")
  void refusesBadCreates() {
    String email = email();
    create(new JsonObject().put("email", email));
    assertEquals(409, shop.http().post(shop.path("/users"), new JsonObject().put("email", email), ADMIN).status());
    ApiResponse unknownRole = shop.http().post(shop.path("/users"),
        new JsonObject().put("email", email()).put("roles", new JsonArray().add("NOPE")), ADMIN);
    assertEquals(400, unknownRole.status());
    assertTrue(unknownRole.json().getString("message").startsWith("roles"), unknownRole.body());
    ApiResponse badDob = shop.http().post(shop.path("/users"),
        new JsonObject().put("email", email()).put("profile", new JsonObject().put("dob", "tomorrow")), ADMIN);
    assertEquals(400, badDob.status());
    assertTrue(badDob.json().getString("message").contains("profile.dob"), badDob.body());
    ApiResponse ancientDob = shop.http().post(shop.path("/users"),
        new JsonObject().put("email", email()).put("profile", new JsonObject().put("dob", "1800-01-01")), ADMIN);
    assertEquals("profile.dob: must be a date from 1850-01-01 to today", ancientDob.json().getString("message"));
    for (String hidden : new String[] {"\u202Eevil", "be\u0007ll", "x\u2066y"}) {
      ApiResponse reordered = shop.http().post(shop.path("/users"),
          new JsonObject().put("email", email()).put("profile", new JsonObject().put("name", hidden)), ADMIN);
      assertEquals(400, reordered.status(), reordered.body());
      assertTrue(reordered.json().getString("message").startsWith("profile.name"), reordered.body());
    }
    ApiResponse marked = shop.http().post(shop.path("/users"), new JsonObject().put("email", email())
        .put("profile", new JsonObject().put("name", "\u05D3\u05D5\u05D3 \u200FCohen")), ADMIN);
    assertEquals(201, marked.status(), "a right-to-left mark in a mixed-script name is ordinary text: " + marked.body());
    for (String address : List.of("1 Main St\nSpringfield", "1 Main St\r\nSpringfield", "1 Main St\u2028Springfield")) {
      ApiResponse lines = shop.http().post(shop.path("/users"), new JsonObject().put("email", email())
          .put("profile", new JsonObject().put("address", address)), ADMIN);
      assertEquals(201, lines.status(), "an address may run over lines (h97: U+2028 was refused): " + lines.body());
    }
    assertEquals(400, shop.http().post(shop.path("/users"), new JsonObject().put("email", email()).put("admin", true),
        ADMIN).status());
    // A limit of characters counts characters: 200 emoji are 400 UTF-16 units (h63: refused past 100).
    String emoji = "\uD83D\uDE00";
    ApiResponse longest = shop.http().post(shop.path("/users"), new JsonObject().put("email", email())
        .put("profile", new JsonObject().put("name", emoji.repeat(200))), ADMIN);
    assertEquals(201, longest.status(), longest.body());
    ApiResponse tooLong = shop.http().post(shop.path("/users"), new JsonObject().put("email", email())
        .put("profile", new JsonObject().put("name", emoji.repeat(201))), ADMIN);
    assertEquals("profile.name: must be at most 200 characters", tooLong.json().getString("message"));
  }

  @Test
  @DisplayName("creates a user with a password: stored as a hash, answered as has_password only; a weak one is 400")
  void createsUserWithPassword() {
    JsonObject user = create(new JsonObject().put("email", email()).put("password", "correct horse battery staple 42"));
    assertTrue(user.getBoolean("has_password"));
    Object hash = shop.sql("SELECT password_hash FROM users WHERE id = ?::uuid", user.getString("id"));
    assertTrue(String.valueOf(hash).startsWith("$argon2id$"), "stored: " + hash);
    ApiResponse weak = shop.http().post(shop.path("/users"), new JsonObject().put("email", email()).put("password", "short"),
        ADMIN);
    assertEquals(400, weak.status(), weak.body());
    assertEquals("weak_password", weak.error());
    // h68: ten spaces were stored, and no sign-in could send them ("password: is required" there)
    for (String blank : List.of(" ".repeat(10), "\u00A0".repeat(10))) {
      ApiResponse spaces = shop.http().post(shop.path("/users"), new JsonObject().put("email", email())
          .put("password", blank), ADMIN);
      assertEquals("password: is required", spaces.json().getString("message"), spaces.body());
    }
  }

  @Test
  @DisplayName("accepts roles by name or numeric id (a number or its digits) and answers names")
  void rolesByNameOrId() {
    JsonObject user = create(new JsonObject().put("phone", "+62-89123456678")
        .put("roles", new JsonArray().add(5).add("SELLER").add(2)));
    assertEquals("+6289123456678", user.getString("phone"));
    assertEquals(new JsonArray().add("SELLER").add("ADMIN"), user.getJsonArray("roles"));
    JsonObject idsAsText = create(new JsonObject().put("email", email())
        .put("roles", new JsonArray().add("5").add("2")));
    assertEquals(new JsonArray().add("SELLER").add("ADMIN"), idsAsText.getJsonArray("roles"),
        "an id as a string, as a path gives it (probe h44: 400)");
  }

  @Test
  @DisplayName("gets a user by id; an unknown or malformed id is 404")
  void getsUser() {
    JsonObject user = create(new JsonObject().put("email", email()));
    ApiResponse got = shop.http().get(shop.path("/users/" + user.getString("id")), ADMIN);
    assertEquals(200, got.status());
    assertEquals(user, got.json());
    assertEquals(404, shop.http().get(shop.path("/users/" + UUID.randomUUID()), ADMIN).status());
    assertEquals(404, shop.http().get(shop.path("/users/not-a-uuid"), ADMIN).status());
  }

  @Test
  @DisplayName("lists newest first and searches by exact id, email prefix and phone prefix; a parameter given twice "
      + "is 400")
  void listsAndSearches() {
    EndUsers app = EndUsers.newApp(gateway, inbox, "users-search");
    JsonObject first = app.http().post(app.path("/users"), new JsonObject().put("email", "zed.first@example.com"), ADMIN).json();
    JsonObject second = app.http().post(app.path("/users"), new JsonObject().put("phone", "+62 891 2345 6678"), ADMIN).json();
    JsonObject third = app.http().post(app.path("/users"), new JsonObject().put("email", "zed_third@example.org"), ADMIN).json();
    assertEquals(List.of(third.getString("id"), second.getString("id"), first.getString("id")), ids(app, ""));
    assertEquals(List.of(third.getString("id"), first.getString("id")), ids(app, "ZED"));
    assertEquals(List.of(third.getString("id")), ids(app, "zed_"), "_ is a character, not a wildcard");
    assertEquals(List.of(second.getString("id")), ids(app, "62-891"));
    assertEquals(List.of(second.getString("id")), ids(app, "+62891"));
    assertEquals(List.of(second.getString("id")), ids(app, "+\u0666\u0662\u0668\u0669\u0661"),
        "Arabic-Indic digits, as the phone itself is accepted in them");
    assertEquals(List.of(second.getString("id")), ids(app, "\uFF16\uFF12\u3000\uFF18\uFF19\uFF11"),
        "full-width digits and space");
    assertEquals(List.of(second.getString("id")), ids(app, "\uFF0B62891"),
        "a full-width plus, as phones take it (h77)");
    assertEquals(List.of(first.getString("id")), ids(app, first.getString("id")));
    assertEquals(List.of(), ids(app, "nobody"));
    assertEquals(400, app.http().get(app.path("/users?limit=501"), ADMIN).status());
    assertEquals(400, app.http().get(app.path("/users?limit=0"), ADMIN).status());
    assertEquals(200, app.http().get(app.path("/users?q=&limit=&cursor="), ADMIN).status(),
        "API.md's query with every parameter empty (h71: limit= was 400 here, the default on the audit log)");
    assertEquals(400, app.http().get(app.path("/users?cursor=garbage!"), ADMIN).status());
    // probe h46: the first q was searched; no parameter of the API is a list
    ApiResponse twice = app.http().get(app.path("/users?q=zed&q=62"), ADMIN);
    assertEquals(400, twice.status(), twice.body());
    assertEquals("q: must be given at most once", twice.json().getString("message"));
  }

  private static List<String> ids(EndUsers app, String q) {
    ApiResponse page = app.http().get(app.path("/users?limit=500&q=" + java.net.URLEncoder.encode(q,
        java.nio.charset.StandardCharsets.UTF_8)), ADMIN);
    assertEquals(200, page.status(), page.body());
    noSecrets(page);
    assertTrue(page.json().containsKey("next_cursor"));
    return page.json().getJsonArray("users").stream().map(u -> ((JsonObject) u).getString("id")).toList();
  }

  @Test
  @DisplayName("an OTP login marks its channel verified and records the login time")
  void otpLoginVerifies() {
    String email = email();
    JsonObject user = create(new JsonObject().put("email", email));
    shop.signIn(email);
    JsonObject after = shop.http().get(shop.path("/users/" + user.getString("id")), ADMIN).json();
    assertTrue(after.getBoolean("email_verified"));
    assertFalse(after.getBoolean("phone_verified"));
    assertNotNull(after.getString("last_login_at"));
  }

  @Test
  @DisplayName("patches the profile (merged, null removes), roles and disabled, and audits field names only")
  void patchesUser() {
    JsonObject user = create(new JsonObject().put("email", email())
        .put("profile", new JsonObject().put("name", "Bob").put("gender", "m")));
    String path = shop.path("/users/" + user.getString("id"));
    double roleChanges = dev.portcullis.testing.PrometheusText.counter(gateway, "portcullis_role_changes_total");
    ApiResponse patched = shop.http().patch(path, new JsonObject()
        .put("profile", new JsonObject().put("address", "1 Main St").putNull("gender"))
        .put("roles", new JsonArray().add("BUYER")), ADMIN);
    assertEquals(200, patched.status(), patched.body());
    assertEquals(roleChanges + 1,
        dev.portcullis.testing.PrometheusText.counter(gateway, "portcullis_role_changes_total"),
        "a PATCH that changes roles is counted as PUT …/roles is (h81)");
    assertEquals(new JsonObject().put("name", "Bob").put("address", "1 Main St").putNull("gender").putNull("dob"),
        patched.json().getJsonObject("profile"));
    assertEquals(new JsonArray().add("BUYER"), patched.json().getJsonArray("roles"));
    JsonObject changed = audit.of("user.changed", shop.appId()).stream()
        .filter(e -> user.getString("id").equals(e.getString("user_id"))).findFirst().orElseThrow();
    assertEquals(new JsonArray().add("profile.address").add("profile.gender"), changed.getJsonObject("data").getJsonArray("fields"));
    assertFalse(changed.encode().contains("Main St"));
    assertEquals(1, audit.of("role.granted", shop.appId()).stream()
        .filter(e -> user.getString("id").equals(e.getString("user_id"))).count());
    assertEquals(400, shop.http().patch(path, new JsonObject().put("email", "x@example.com"), ADMIN).status());
    assertEquals(400, shop.http().patch(path, new JsonObject().put("disabled", "yes"), ADMIN).status());
  }

  @Test
  @DisplayName("a login whose user is disabled while it runs opens no session: it waits for the disable and is refused")
  void loginRacingADisable() throws Exception {
    String email = email();
    String userId = shop.signIn(email).getJsonObject("user").getString("id");
    ApiResponse sent = shop.http().post("/auth/send-otp", shop.credentials().put("email", email));
    assertEquals(200, sent.status(), sent.body());
    String requestId = sent.json().getString("otp_request_id");
    JsonObject verify = shop.credentials().put("otp_request_id", requestId).put("otp", inbox.awaitCode(requestId));
    try (java.sql.Connection disabling = gateway.jdbc()) {
      // the disable's update, committed only once the login has read the user as it was
      disabling.setAutoCommit(false);
      try (java.sql.PreparedStatement disable = disabling.prepareStatement("UPDATE users SET disabled = true WHERE id = ?")) {
        disable.setObject(1, UUID.fromString(userId));
        assertEquals(1, disable.executeUpdate());
      }
      java.util.concurrent.CompletableFuture<ApiResponse> login = shop.http().sendAsync("POST", "/auth/verify-otp",
          verify.encode(), "Content-Type", "application/json");
      dev.portcullis.testing.Await.until("the login waiting for the user's row", java.time.Duration.ofSeconds(10),
          () -> login.isDone() || ((Number) shop.sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
              + "AND datname = current_database() AND backend_type = 'client backend'")).intValue() == 1);
      disabling.commit();
      ApiResponse answer = login.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(403, answer.status(), answer.body());
      assertEquals("user_disabled", answer.error());
    }
    assertEquals(1L, ((Number) shop.sql("SELECT count(*) FROM sessions WHERE user_id = ?", UUID.fromString(userId)))
        .longValue(), "only the session from before the disable");
  }

  @Test
  @DisplayName("disabling a user revokes its live access token at once, refuses its logins, and tells the security webhook")
  void disablesUser() {
    String email = email();
    JsonObject tokens = shop.signIn(email);
    String userId = tokens.getJsonObject("user").getString("id");
    assertEquals(200, shop.me(tokens.getString("access_token")).status());
    ApiResponse disabled = shop.http().patch(shop.path("/users/" + userId), new JsonObject().put("disabled", true), ADMIN);
    assertEquals(200, disabled.status(), disabled.body());
    assertTrue(disabled.json().getBoolean("disabled"));
    ApiResponse me = shop.me(tokens.getString("access_token"));
    assertEquals(401, me.status());
    assertEquals("session_revoked", me.error());
    assertEquals("session_revoked", shop.refresh(tokens.getString("refresh_token"), null).error());
    ApiResponse login = shop.login(email, null);
    assertEquals(403, login.status());
    assertEquals("user_disabled", login.error());
    Await.until("user.disabled on the security webhook", Duration.ofSeconds(10), () -> securityEvents.stream()
        .anyMatch(e -> "user.disabled".equals(e.getString("type")) && userId.equals(e.getString("user_id"))));
    assertEquals(1, audit.of("user.disabled", shop.appId()).stream().filter(e -> userId.equals(e.getString("user_id"))).count());
    assertTrue(audit.of("session.revoked", shop.appId()).stream().anyMatch(e -> userId.equals(e.getString("user_id"))
        && "user_disabled".equals(e.getJsonObject("data").getString("reason"))));
    ApiResponse enabled = shop.http().patch(shop.path("/users/" + userId), new JsonObject().put("disabled", false), ADMIN);
    assertFalse(enabled.json().getBoolean("disabled"));
    assertEquals(200, shop.login(email, null).status());
  }

  @Test
  @DisplayName("deleting a user revokes its sessions, erases its data and keeps only its id in the audit log")
  void deletesUser() {
    String email = email();
    JsonObject tokens = shop.signIn(email);
    String userId = tokens.getJsonObject("user").getString("id");
    ApiResponse deleted = shop.http().delete(shop.path("/users/" + userId), ADMIN);
    assertEquals(200, deleted.status(), deleted.body());
    assertEquals(new JsonObject().put("user_id", userId).put("deleted", true), deleted.json());
    assertEquals("session_revoked", shop.me(tokens.getString("access_token")).error());
    assertEquals(404, shop.http().get(shop.path("/users/" + userId), ADMIN).status());
    assertEquals(0L, shop.sql("SELECT count(*) FROM users WHERE email = ?", email));
    JsonObject event = audit.one("user.deleted", shop.appId());
    assertEquals(userId, event.getString("user_id"));
    assertFalse(event.encode().contains(email));
    assertEquals(0, event.getJsonObject("data").getInteger("licenses_detached"));
    assertEquals(404, shop.http().delete(shop.path("/users/" + userId), ADMIN).status());
  }

  @Test
  @DisplayName("deleting a user records the licences it detached (now issued to no user) in the deletion's audit "
      + "events: user.deleted counts them and a license.detached names each")
  void deletionAuditsDetachedLicenses() {
    EndUsers app = EndUsers.newApp(gateway, inbox, "users-licences");
    ApiResponse created = app.http().post(app.path("/users"), new JsonObject().put("email", email()), ADMIN);
    assertEquals(201, created.status(), created.body());
    String userId = created.json().getString("id");
    ApiResponse policy = app.http().post(app.path("/license-policies"),
        new JsonObject().put("name", "Seats").put("max_devices", 2), ADMIN);
    assertEquals(201, policy.status(), policy.body());
    String policyId = policy.json().getString("policy_id");
    Set<String> held = Set.of(license(app, policyId, userId), license(app, policyId, userId));
    String nobodys = license(app, policyId, null);

    ApiResponse deleted = app.http().delete(app.path("/users/" + userId), ADMIN);
    assertEquals(200, deleted.status(), deleted.body());
    for (String license : held) {
      assertNull(app.http().get(app.path("/licenses/" + license), ADMIN).json().getValue("user_id"));
    }

    List<JsonObject> stored = dev.portcullis.audit.AuditTrail.rows(gateway, UUID.fromString(app.appId()));
    JsonObject userDeleted = stored.stream().filter(row -> "user.deleted".equals(row.getString("type")))
        .findFirst().orElseThrow(() -> new AssertionError("no user.deleted in " + stored));
    assertEquals(userId, userDeleted.getString("user_id"));
    assertEquals(2, userDeleted.getJsonObject("data").getInteger("licenses_detached"), userDeleted.encode());
    List<JsonObject> detached = stored.stream()
        .filter(row -> "license.detached".equals(row.getString("type")))
        .toList();
    assertEquals(held, Set.copyOf(detached.stream().map(row -> row.getJsonObject("data").getString("license_id"))
        .toList()), "one event per licence of the user, none for another: " + stored);
    for (JsonObject row : detached) {
      assertEquals(userId, row.getString("user_id"));
      assertEquals("user_deleted", row.getJsonObject("data").getString("reason"));
      assertEquals("operator", row.getJsonObject("data").getString("actor"), row.encode());
      assertEquals(userDeleted.getString("request_id"), row.getString("request_id"), "the deletion's own events");
    }
    assertFalse(detached.stream().anyMatch(row -> nobodys.equals(row.getJsonObject("data").getString("license_id"))));
  }

  /** A new licence of the policy, issued to the user (null: to no user); its id. */
  private static String license(EndUsers app, String policyId, String userId) {
    JsonObject body = new JsonObject().put("policy_id", policyId);
    if (userId != null) {
      body.put("user_id", userId);
    }
    ApiResponse created = app.http().post(app.path("/licenses"), body, ADMIN);
    assertEquals(201, created.status(), created.body());
    return created.json().getString("license_id");
  }

  @Test
  @DisplayName("never answers a password hash, even for a user who has one")
  void neverAnswersHash() {
    JsonObject user = create(new JsonObject().put("email", email()));
    shop.sql("UPDATE users SET password_hash = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g' WHERE id = ?::uuid",
        user.getString("id"));
    ApiResponse got = shop.http().get(shop.path("/users/" + user.getString("id")), ADMIN);
    noSecrets(got);
    assertTrue(got.json().getBoolean("has_password"));
    noSecrets(shop.http().get(shop.path("/users?limit=500"), ADMIN));
    noSecrets(shop.http().get(shop.path("/users?q=" + user.getString("id")), ADMIN));
  }

  @Test
  @DisplayName("lists a user's live sessions and revokes one: its /auth/me answers session_revoked on every process")
  void sessions() {
    String email = email();
    JsonObject first = shop.signIn(email);
    JsonObject second = shop.signIn(email);
    String userId = first.getJsonObject("user").getString("id");
    ApiResponse listed = shop.http().get(shop.path("/users/" + userId + "/sessions"), ADMIN);
    assertEquals(200, listed.status(), listed.body());
    noSecrets(listed);
    JsonArray sessions = listed.json().getJsonArray("sessions");
    assertEquals(2, sessions.size());
    JsonObject newest = sessions.getJsonObject(0);
    assertEquals(Set.of("id", "created_at", "last_used_at", "expires_at", "client_ip", "tenant_id", "device_id"),
        newest.fieldNames());
    String sid = TokenClaims.sid(second.getString("access_token"));
    assertEquals(sid, newest.getString("id"));
    try (TestGateway other = gateway.sibling()) {
      Http otherHttp = other.http();
      assertEquals(200, otherHttp.get("/auth/me", Http.bearer(second.getString("access_token"))).status());
      ApiResponse revoked = shop.http().delete(shop.path("/sessions/" + sid), ADMIN);
      assertEquals(200, revoked.status(), revoked.body());
      assertEquals(new JsonObject().put("revoked", 1), revoked.json());
      assertEquals("session_revoked", otherHttp.get("/auth/me", Http.bearer(second.getString("access_token"))).error());
      assertEquals("session_revoked", shop.me(second.getString("access_token")).error());
      assertEquals(200, shop.me(first.getString("access_token")).status());
    }
    JsonObject revokedEvent = audit.of("session.revoked", shop.appId()).stream()
        .filter(e -> sid.equals(e.getJsonObject("data").getString("session_id"))).findFirst().orElseThrow();
    assertEquals(userId, revokedEvent.getString("user_id"));
    assertEquals("admin", revokedEvent.getJsonObject("data").getString("reason"));
    assertEquals("operator", revokedEvent.getJsonObject("data").getJsonObject("by").getString("actor"));
    assertEquals(1, shop.http().get(shop.path("/users/" + userId + "/sessions"), ADMIN).json().getJsonArray("sessions").size());
    assertEquals(404, shop.http().delete(shop.path("/sessions/" + sid), ADMIN).status());
    EndUsers other = EndUsers.newApp(gateway, inbox, "users-other-sessions");
    assertEquals(404, other.http().delete(other.path("/sessions/" + TokenClaims.sid(first.getString("access_token"))), ADMIN)
        .status(), "a session of another app");
  }

  @Test
  @DisplayName("an owner reads its own apps' users, and another owner's are 404")
  void ownersSeeOnlyTheirUsers() {
    JsonObject alice = SignIns.owner(gateway, inbox, "alice-" + UUID.randomUUID().toString().substring(0, 6) + "@example.com");
    JsonObject bob = SignIns.owner(gateway, inbox, "bob-" + UUID.randomUUID().toString().substring(0, 6) + "@example.com");
    String[] asAlice = Http.bearer(alice.getString("access_token"));
    String[] asBob = Http.bearer(bob.getString("access_token"));
    ApiResponse app = gateway.http().post("/v1/apps", new JsonObject().put("name", "Alice's").put("slug", "alice-users"), asAlice);
    assertEquals(201, app.status(), app.body());
    String base = "/v1/apps/" + app.json().getString("app_id") + "/users";
    ApiResponse made = gateway.http().post(base, new JsonObject().put("email", email()), asAlice);
    assertEquals(201, made.status(), made.body());
    String userPath = base + "/" + made.json().getString("id");
    assertEquals(200, gateway.http().get(userPath, asAlice).status());
    assertEquals(200, gateway.http().get(base, asAlice).status());
    for (ApiResponse refused : List.of(gateway.http().get(base, asBob), gateway.http().get(userPath, asBob),
        gateway.http().patch(userPath, new JsonObject().put("disabled", true), asBob),
        gateway.http().delete(userPath, asBob), gateway.http().post(base, new JsonObject().put("email", email()), asBob))) {
      assertEquals(404, refused.status(), refused.body());
      assertEquals("not_found", refused.error());
    }
    assertEquals(200, gateway.http().get(userPath, ADMIN).status(), "the operator sees every app");
    assertEquals(401, gateway.http().get(base).status());
  }

  @Test
  @DisplayName("a role description with a control or text-direction character is 400 naming description; "
      + "accents, CJK, emoji and direction marks are ordinary text")
  void roleDescriptionHiddenCharacters() {
    EndUsers app = EndUsers.newApp(gateway, inbox, "roles-text");
    for (String hidden : List.of("a\u0001b", "a\u202Eb", "a\u2066b")) {
      ApiResponse refused = app.http().post(app.path("/roles"), new JsonObject().put("name", "EDITOR")
          .put("description", hidden), ADMIN);
      assertEquals(400, refused.status(), refused.body());
      assertEquals("description: must not contain control or text-direction characters",
          refused.json().getString("message"));
    }
    String ordinary = "R\u00e9dacteur \u7de8\u96c6\u8005 \u270D\uFE0F \u05D3\u05D5\u05D3 \u200Fpages\u200E";
    ApiResponse created = app.http().post(app.path("/roles"), new JsonObject().put("name", "EDITOR")
        .put("description", ordinary), ADMIN);
    assertEquals(201, created.status(), "the refused ones made no EDITOR: " + created.body());
    assertEquals(ordinary, created.json().getString("description"));
  }
}
