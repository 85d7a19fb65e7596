package dev.portcullis.owner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.portcullis.app.App;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Owners: sign-in with a code, console tokens, and apps only their owner can see")
class OwnerApiTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().config(SignIns.LIMITS).auditTap();

  // Set by env before any test of the class runs.
  private static WebhookReceiver inbox;
  private static TestGateway gateway;
  private static AuditTap audit;

  @BeforeAll
  static void start() {
    // Owners sign in more than once per test class; the hourly cap of the console app still applies.
    try (Connection db = gateway.jdbc(); Statement statement = db.createStatement()) {
      statement.executeUpdate("UPDATE apps SET settings = settings || '{\"otp_resend_cooldown\": 0}' WHERE id = '"
          + App.CONSOLE_ID + "'");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Http http() {
    return gateway.http();
  }

  private static String email() {
    return "owner-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
  }

  private static String[] bearer(JsonObject tokens) {
    return Http.bearer(tokens.getString("access_token"));
  }

  private static JsonObject createApp(JsonObject ownerTokens, String slug) {
    ApiResponse created = http().post("/v1/apps", new JsonObject().put("name", "App " + slug).put("slug", slug),
        bearer(ownerTokens));
    assertEquals(201, created.status(), created.body());
    return created.json();
  }

  private static String slug() {
    return "own-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  @DisplayName("with sign-up open and an email-only console, a phone that is no owner's gets the answer a phone-only "
      + "owner gets, and no code")
  void phonesNotEnumerable() {
    ApiResponse created = http().post("/v1/owners", new JsonObject().put("phone", "+6289123400088"),
        Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(201, created.status(), created.body());
    ApiResponse owner = http().post("/v1/owners/send-otp", new JsonObject().put("phone", "+6289123400088"));
    ApiResponse stranger = http().post("/v1/owners/send-otp", new JsonObject().put("phone", "+6289123400099"));
    assertEquals(200, owner.status(), owner.body());
    assertEquals(200, stranger.status(), stranger.body());
    assertEquals(owner.json().fieldNames(), stranger.json().fieldNames());
    assertEquals(owner.json().getInteger("expires_in"), stranger.json().getInteger("expires_in"));
    inbox.awaitCall(owner.json().getString("otp_request_id"));
    assertTrue(inbox.callsFor(stranger.json().getString("otp_request_id")).isEmpty(), "no code for the stranger");
  }

  @Test
  @DisplayName("an owner signs in with a code: send-otp answers the request, verify-otp a token response with owner")
  void signInWithCode() {
    String email = email();
    ApiResponse sent = http().post("/v1/owners/send-otp", new JsonObject().put("email", " " + email.toUpperCase() + " "));
    assertEquals(200, sent.status(), sent.body());
    assertEquals(Set.of("otp_request_id", "expires_in", "resend_after"), sent.json().fieldNames());
    String requestId = sent.json().getString("otp_request_id");

    ApiResponse verified = http().post("/v1/owners/verify-otp",
        new JsonObject().put("otp_request_id", requestId).put("otp", inbox.awaitCode(requestId)));
    assertEquals(200, verified.status(), verified.body());
    JsonObject tokens = verified.json();
    assertEquals("Bearer", tokens.getString("token_type"));
    assertNotNull(tokens.getString("access_token"));
    assertNotNull(tokens.getString("refresh_token"));
    assertTrue(tokens.getInteger("expires_in") > 0);
    assertFalse(tokens.containsKey("user"));
    JsonObject owner = tokens.getJsonObject("owner");
    assertEquals(email, owner.getString("email"));
    assertTrue(tokens.getBoolean("new_user"), "the owner is created on first success");
  }

  /**
   * Owners are the console app's users, so the operator stops one the way an owner stops a user of its app. Before,
   * the console app was 404 on every user route, even for the operator: a stolen owner refresh token or a departed
   * owner kept control of its apps until someone edited the database (probe finding).
   */
  @Test
  @DisplayName("the operator lists owners and disables one: its tokens stop at once, it cannot sign in, its apps keep "
      + "serving; enabled again it signs in; owners reach none of this and nobody deletes an owner this way")
  void operatorDisablesAnOwner() {
    String email = email();
    JsonObject tokens = SignIns.owner(gateway, inbox, email);
    String ownerId = tokens.getJsonObject("owner").getString("id");
    JsonObject app = createApp(tokens, slug());
    String owners = "/v1/apps/" + App.CONSOLE_ID + "/users";

    ApiResponse listed = http().get(owners + "?q=" + email, ADMIN);
    assertEquals(200, listed.status(), listed.body());
    assertEquals(List.of(ownerId), listed.json().getJsonArray("users").stream()
        .map(user -> ((JsonObject) user).getString("id")).toList());
    JsonObject other = SignIns.owner(gateway, inbox, email());
    assertEquals(404, http().get(owners, bearer(other)).status(), "an owner does not see the other owners");
    assertEquals(404, http().patch(owners + "/" + ownerId, new JsonObject().put("disabled", true), bearer(other)).status());

    ApiResponse roles = http().patch(owners + "/" + ownerId, new JsonObject().put("roles", new JsonArray()), ADMIN);
    assertEquals(400, roles.status(), "an owner has no roles to change: " + roles.body());
    assertEquals(400, http().patch(owners + "/" + ownerId, new JsonObject().put("profile", new JsonObject()
        .put("name", "Renamed")), ADMIN).status(), "nor a profile");

    ApiResponse disabled = http().patch(owners + "/" + ownerId, new JsonObject().put("disabled", true), ADMIN);
    assertEquals(200, disabled.status(), disabled.body());
    assertEquals(true, disabled.json().getBoolean("disabled"));
    assertEquals(401, http().get("/v1/apps", bearer(tokens)).status(), "the owner's access token stops at once");
    ApiResponse refreshed = http().post("/v1/owners/refresh",
        new JsonObject().put("refresh_token", tokens.getString("refresh_token")));
    assertEquals(401, refreshed.status(), refreshed.body());
    ApiResponse sent = http().post("/v1/owners/send-otp", new JsonObject().put("email", email));
    assertEquals(200, sent.status(), sent.body());
    String requestId = sent.json().getString("otp_request_id");
    ApiResponse signIn = http().post("/v1/owners/verify-otp", new JsonObject().put("otp_request_id", requestId)
        .put("otp", inbox.awaitCode(requestId)));
    assertEquals(403, signIn.status(), signIn.body());
    assertEquals("user_disabled", signIn.error());
    assertEquals(200, http().get("/v1/apps/" + app.getString("app_id") + "/jwks.json").status(), "its apps keep serving");

    assertEquals(404, http().delete(owners + "/" + ownerId, ADMIN).status(), "an owner is not deleted this way");
    assertEquals(200, http().patch(owners + "/" + ownerId, new JsonObject().put("disabled", false), ADMIN).status());
    JsonObject again = SignIns.owner(gateway, inbox, email);
    assertEquals(ownerId, again.getJsonObject("owner").getString("id"));
    assertEquals(200, http().get("/v1/apps/" + app.getString("app_id"), bearer(again)).status(), "and holds its apps");
  }

  @Test
  @DisplayName("signing in again finds the same owner, and the sign-in is audited under the console app")
  void signInAgainSameOwner() {
    String email = email();
    JsonObject first = SignIns.owner(gateway, inbox, email);
    JsonObject second = SignIns.owner(gateway, inbox, email);
    String ownerId = first.getJsonObject("owner").getString("id");
    assertEquals(ownerId, second.getJsonObject("owner").getString("id"));
    assertFalse(second.getBoolean("new_user"));

    List<JsonObject> events = audit.of(AuditEvent.OWNER_SIGNED_IN, App.CONSOLE_ID.toString()).stream()
        .filter(event -> ownerId.equals(event.getString("user_id")))
        .toList();
    assertEquals(2, events.size());
    assertEquals(List.of(true, false), events.stream().map(event -> event.getJsonObject("data").getBoolean("new_owner")).toList());
  }

  @Test
  @DisplayName("an owner token is an RS256 access token of the console app, which no client app's JWKS or audience matches")
  void ownerTokenIsConsoleToken() throws Exception {
    JsonObject tokens = SignIns.owner(gateway, inbox, email());
    SignedJWT jwt = SignedJWT.parse(tokens.getString("access_token"));
    assertEquals(JWSAlgorithm.RS256, jwt.getHeader().getAlgorithm());
    assertEquals(List.of("portcullis:console"), jwt.getJWTClaimsSet().getAudience());
    assertEquals(App.CONSOLE_ID.toString(), jwt.getJWTClaimsSet().getStringClaim("app_id"));
    assertEquals(tokens.getJsonObject("owner").getString("id"), jwt.getJWTClaimsSet().getSubject());

    JWKSet console = JWKSet.parse(http().get("/v1/apps/" + App.CONSOLE_ID + "/jwks.json").body());
    RSAKey consoleKey = (RSAKey) console.getKeyByKeyId(jwt.getHeader().getKeyID());
    assertTrue(jwt.verify(new RSASSAVerifier(consoleKey)), "verifies with the console's published key");

    JsonObject app = gateway.createApp(slug());
    JWKSet appKeys = JWKSet.parse(http().get("/v1/apps/" + app.getString("app_id") + "/jwks.json").body());
    assertNull(appKeys.getKeyByKeyId(jwt.getHeader().getKeyID()), "a client app does not publish the console key");
    RSAKey appKey = (RSAKey) appKeys.getKeys().get(0);
    assertFalse(jwt.verify(new RSASSAVerifier(appKey)), "nor does the app's key verify an owner token");
    assertFalse(jwt.getJWTClaimsSet().getAudience().contains(app.getString("slug")));
  }

  @Test
  @DisplayName("an app created with an owner token belongs to that owner")
  void createdAppBelongsToOwner() {
    JsonObject owner = SignIns.owner(gateway, inbox, email());
    JsonObject app = createApp(owner, slug());
    assertEquals(owner.getJsonObject("owner").getString("id"), app.getString("owner_id"));
    JsonObject event = audit.one(AuditEvent.APP_CREATED, app.getString("app_id"));
    assertEquals("owner", event.getJsonObject("data").getString("actor"));
    assertEquals(owner.getJsonObject("owner").getString("id"), event.getJsonObject("data").getString("owner_id"));
  }

  @Test
  @DisplayName("two owners cannot see or change each other's apps: 404 not_found; the admin key sees both")
  void ownersAreIsolated() {
    JsonObject alice = SignIns.owner(gateway, inbox, email());
    JsonObject bob = SignIns.owner(gateway, inbox, email());
    JsonObject aliceApp = createApp(alice, slug());
    JsonObject bobApp = createApp(bob, slug());
    String path = "/v1/apps/" + aliceApp.getString("app_id");

    assertEquals(List.of(aliceApp.getString("app_id")), ids(http().get("/v1/apps", bearer(alice))));
    assertEquals(List.of(bobApp.getString("app_id")), ids(http().get("/v1/apps", bearer(bob))));
    List<String> all = ids(http().get("/v1/apps?limit=500", ADMIN));
    assertTrue(all.containsAll(List.of(aliceApp.getString("app_id"), bobApp.getString("app_id"))));

    List<ApiResponse> bobsTries = List.of(
        http().get(path, bearer(bob)),
        http().patch(path, new JsonObject().put("name", "Mine now"), bearer(bob)),
        http().post(path + "/rotate-secret", null, bearer(bob)),
        http().post(path + "/rotate-signing-key", null, bearer(bob)),
        http().delete(path, bearer(bob)));
    for (ApiResponse tried : bobsTries) {
      assertEquals(404, tried.status(), tried.body());
      assertEquals("not_found", tried.error());
    }
    ApiResponse unknown = http().get("/v1/apps/" + UUID.randomUUID(), bearer(bob));
    assertEquals(unknown.body(), bobsTries.get(0).body(), "another owner's app looks exactly like no app");

    ApiResponse mine = http().get(path, bearer(alice));
    assertEquals(200, mine.status());
    assertEquals(aliceApp.getString("name"), mine.json().getString("name"), "Bob's PATCH changed nothing");
    assertEquals(aliceApp.getString("jwt_public_key"), mine.json().getString("jwt_public_key"));
    assertEquals(200, http().get(path, ADMIN).status());
  }

  @Test
  @DisplayName("an owner's changes, rotations and deletion are audited as the owner's")
  void ownerChangesAudited() {
    JsonObject owner = SignIns.owner(gateway, inbox, email());
    String ownerId = owner.getJsonObject("owner").getString("id");
    String id = createApp(owner, slug()).getString("app_id");
    assertEquals(200, http().patch("/v1/apps/" + id, new JsonObject().put("name", "Renamed"), bearer(owner)).status());
    assertEquals(200, http().post("/v1/apps/" + id + "/rotate-secret", null, bearer(owner)).status());
    assertEquals(200, http().post("/v1/apps/" + id + "/rotate-signing-key", null, bearer(owner)).status());
    assertEquals(200, http().delete("/v1/apps/" + id, bearer(owner)).status());
    for (String type : List.of(AuditEvent.APP_CHANGED, AuditEvent.APP_SECRET_ROTATED, AuditEvent.APP_KEY_ROTATED,
        AuditEvent.APP_DELETED)) {
      assertEquals(ownerId, audit.one(type, id).getJsonObject("data").getString("owner_id"), type);
    }
  }

  @Test
  @DisplayName("a client app's access token is not an owner token: 401 invalid_token on /v1")
  void clientTokenRefusedOnAdminApi() {
    JsonObject app = gateway.createApp(slug());
    JsonObject user = SignIns.user(gateway, inbox, app, email());
    ApiResponse list = http().get("/v1/apps", bearer(user));
    assertEquals(401, list.status(), list.body());
    assertEquals("invalid_token", list.error());
    ApiResponse get = http().get("/v1/apps/" + app.getString("app_id"), bearer(user));
    assertEquals(401, get.status(), "not even its own app");
  }

  @Test
  @DisplayName("refresh tokens do not cross between owners and client apps")
  void refreshTokensDoNotCross() {
    JsonObject owner = SignIns.owner(gateway, inbox, email());
    JsonObject app = gateway.createApp(slug());
    JsonObject user = SignIns.user(gateway, inbox, app, email());

    ApiResponse ownerTokenAsClient = http().post("/auth/refresh", new JsonObject().put("app_id", app.getString("app_id"))
        .put("app_secret", app.getString("app_secret")).put("refresh_token", owner.getString("refresh_token")));
    assertEquals(401, ownerTokenAsClient.status(), ownerTokenAsClient.body());
    assertEquals("invalid_refresh_token", ownerTokenAsClient.error());

    ApiResponse clientTokenAsOwner = http().post("/v1/owners/refresh",
        new JsonObject().put("refresh_token", user.getString("refresh_token")));
    assertEquals(401, clientTokenAsOwner.status(), clientTokenAsOwner.body());
    assertEquals("invalid_refresh_token", clientTokenAsOwner.error());
  }

  @Test
  @DisplayName("an owner refreshes to a new pair with owner, and after logout its access token no longer opens /v1")
  void refreshAndLogout() {
    JsonObject tokens = SignIns.owner(gateway, inbox, email());
    ApiResponse refreshed = http().post("/v1/owners/refresh",
        new JsonObject().put("refresh_token", tokens.getString("refresh_token")));
    assertEquals(200, refreshed.status(), refreshed.body());
    JsonObject next = refreshed.json();
    assertNotEquals(tokens.getString("refresh_token"), next.getString("refresh_token"));
    assertEquals(tokens.getJsonObject("owner").getString("id"), next.getJsonObject("owner").getString("id"));
    assertFalse(next.containsKey("user"));
    assertEquals(200, http().get("/v1/apps", bearer(next)).status());

    ApiResponse logout = http().post("/v1/owners/logout", new JsonObject().put("refresh_token", next.getString("refresh_token")));
    assertEquals(200, logout.status(), logout.body());
    assertEquals(1, logout.json().getInteger("revoked"));
    ApiResponse after = http().get("/v1/apps", bearer(next));
    assertEquals(401, after.status(), after.body());
    assertEquals("session_revoked", after.error());
  }

  @Test
  @DisplayName("owner codes obey the OTP service's rules: past the hourly cap a send is 429, a wrong code 401 otp_invalid")
  void otpRulesApply() {
    String email = email();
    String requestId = null;
    for (int i = 0; i < 5; i++) {
      ApiResponse sent = http().post("/v1/owners/send-otp", new JsonObject().put("email", email));
      assertEquals(200, sent.status(), sent.body());
      requestId = sent.json().getString("otp_request_id");
    }
    ApiResponse capped = http().post("/v1/owners/send-otp", new JsonObject().put("email", email));
    assertEquals(429, capped.status(), capped.body());
    assertEquals("rate_limited", capped.error());
    assertNotNull(capped.header("Retry-After"));

    String wrong = inbox.awaitCode(requestId).equals("000000") ? "111111" : "000000";
    ApiResponse bad = http().post("/v1/owners/verify-otp", new JsonObject().put("otp_request_id", requestId).put("otp", wrong));
    assertEquals(401, bad.status());
    assertEquals("otp_invalid", bad.error());
    assertNotNull(bad.json().getInteger("attempts_left"));
  }

  @Test
  @DisplayName("owner routes take no client credentials and need no bearer; bad input is 400 naming the field")
  void ownerRoutesValidate() {
    ApiResponse neither = http().post("/v1/owners/send-otp", new JsonObject());
    assertEquals(400, neither.status(), neither.body());
    ApiResponse noCode = http().post("/v1/owners/verify-otp", new JsonObject().put("otp_request_id", UUID.randomUUID().toString()));
    assertEquals(400, noCode.status());
    assertTrue(noCode.json().getString("message").startsWith("otp"), noCode.body());
    ApiResponse noToken = http().post("/v1/owners/refresh", new JsonObject());
    assertEquals(400, noToken.status());
    assertTrue(noToken.json().getString("message").startsWith("refresh_token"), noToken.body());
  }

  private static List<String> ids(ApiResponse list) {
    assertEquals(200, list.status(), list.body());
    JsonArray apps = list.json().getJsonArray("apps");
    return apps.stream().map(app -> ((JsonObject) app).getString("app_id")).toList();
  }

  @Test
  @DisplayName("an app creation that passed the owner's check before a disable committed is refused when it stores the "
      + "app (h96: created while the RSA key was made, after the disable had answered)")
  void creationRacingTheOwnersDisable() throws Exception {
    JsonObject tokens = SignIns.owner(gateway, inbox, email());
    String ownerId = tokens.getJsonObject("owner").getString("id");
    String slug = slug();
    try (Connection db = gateway.jdbc(); Statement disable = db.createStatement()) {
      db.setAutoCommit(false);
      // The disable, not yet committed: it holds the owner's row.
      disable.executeUpdate("UPDATE users SET disabled = true WHERE id = '" + ownerId + "'");
      java.util.concurrent.CompletableFuture<ApiResponse> create = http().sendAsync("POST", "/v1/apps",
          new JsonObject().put("name", "App " + slug).put("slug", slug).encode(), "Content-Type", "application/json",
          bearer(tokens)[0], bearer(tokens)[1]);
      dev.portcullis.testing.Await.until("the creation waits on the owner", java.time.Duration.ofSeconds(10),
          () -> create.isDone() || gateway.count("SELECT count(*) FROM pg_stat_activity WHERE datname = "
              + "current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM users%'") > 0);
      db.commit();
      ApiResponse answered = create.join();
      assertEquals(403, answered.status(), answered.body());
      assertEquals("user_disabled", answered.error());
    }
    assertEquals(0, gateway.count("SELECT count(*) FROM apps WHERE slug = '" + slug + "'"));
  }
}
