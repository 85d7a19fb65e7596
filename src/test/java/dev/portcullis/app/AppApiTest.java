package dev.portcullis.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.MasterKey;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.PrometheusText;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The apps admin API with the admin key")
class AppApiTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().auditTap();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static AuditTap audit;

  private static Http http() {
    return gateway.http();
  }

  private static String slug() {
    return "app-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  @DisplayName("creating an app answers 201 with its secret, default settings, its public key and JWKS URI")
  void createAnswersEverything() {
    String slug = slug();
    ApiResponse response = http().post("/v1/apps", new JsonObject().put("name", " Shop ").put("slug", slug), ADMIN);
    assertEquals(201, response.status(), response.body());
    JsonObject app = response.json();
    UUID.fromString(app.getString("app_id"));
    assertTrue(app.getString("app_secret").length() >= 43, "at least 256 bits of secret");
    assertEquals("Shop", app.getString("name"));
    assertEquals(slug, app.getString("slug"));
    assertEquals(new JsonArray(), app.getJsonArray("callback_urls"));
    JsonObject settings = app.getJsonObject("settings");
    assertEquals(900, settings.getInteger("access_token_ttl"));
    assertEquals(2_592_000, settings.getInteger("refresh_token_ttl"));
    assertEquals(6, settings.getInteger("otp_length"));
    assertEquals(10, settings.getInteger("refresh_reuse_grace_seconds"));
    assertEquals(new JsonArray().add("email").add("sms"), settings.getJsonArray("otp_channels"));
    assertTrue(app.getString("jwt_public_key").startsWith("-----BEGIN PUBLIC KEY-----"));
    assertEquals("http://localhost:8080/v1/apps/" + app.getString("app_id") + "/jwks.json", app.getString("jwks_uri"));
    assertTrue(app.getString("created_at").endsWith("Z"), "RFC 3339 UTC");
  }

  @Test
  @DisplayName("the secret is stored only as a keyed hash and the private key only encrypted under the master key")
  void storedSecretsAreProtected() throws Exception {
    JsonObject app = gateway.createApp(slug());
    String secret = app.getString("app_secret");
    MasterKey masterKey = new MasterKey(Base64.getDecoder().decode(TestGateway.TEST_MASTER_KEY));
    try (Connection db = gateway.jdbc();
         PreparedStatement query = db.prepareStatement(
             "SELECT a.secret_hash, k.kid, k.public_pem, k.private_enc FROM apps a JOIN signing_keys k ON k.app_id = a.id "
                 + "WHERE a.id = ?::uuid")) {
      query.setString(1, app.getString("app_id"));
      try (ResultSet row = query.executeQuery()) {
        assertTrue(row.next());
        byte[] hash = row.getBytes("secret_hash");
        assertEquals(32, hash.length);
        assertTrue(java.util.Arrays.equals(masterKey.appSecretHash(secret), hash), "HMAC of the secret");
        assertFalse(new String(hash, StandardCharsets.ISO_8859_1).contains(secret));
        byte[] sealed = row.getBytes("private_enc");
        assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("PRIVATE KEY"), "not plaintext");
        String privatePem = new String(masterKey.decrypt(sealed, row.getString("kid")), StandardCharsets.UTF_8);
        RSAPrivateCrtKey privateKey = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA")
            .generatePrivate(new PKCS8EncodedKeySpec(der(privatePem)));
        RSAPublicKey publicKey = (RSAPublicKey) KeyFactory.getInstance("RSA")
            .generatePublic(new X509EncodedKeySpec(der(app.getString("jwt_public_key"))));
        assertEquals(2048, publicKey.getModulus().bitLength());
        assertEquals(publicKey.getModulus(), privateKey.getModulus(), "the pair matches the published key");
        assertEquals(row.getString("public_pem"), app.getString("jwt_public_key"));
      }
    }
  }

  @Test
  @DisplayName("a taken slug is 409 conflict")
  void slugTaken() {
    String slug = slug();
    gateway.createApp(slug);
    ApiResponse again = http().post("/v1/apps", new JsonObject().put("name", "Other").put("slug", slug), ADMIN);
    assertEquals(409, again.status());
    assertEquals("conflict", again.error());
  }

  @Test
  @DisplayName("a field POST /v1/apps does not take (a misspelt callback_urls) is 400 naming it, and no app is made")
  void unknownFieldRefused() {
    String slug = slug();
    ApiResponse response = http().post("/v1/apps", new JsonObject().put("name", "Typo").put("slug", slug)
        .put("callbak_urls", new io.vertx.core.json.JsonArray().add("https://t.example.com/cb")), ADMIN);
    assertEquals(400, response.status(), response.body());
    assertEquals("invalid_request", response.error());
    assertTrue(response.json().getString("message").startsWith("callbak_urls: is not a field"), response.body());
    assertEquals(201, http().post("/v1/apps", new JsonObject().put("name", "Typo").put("slug", slug), ADMIN).status(),
        "the slug was not taken by the refused request");
  }

  @Test
  @DisplayName("an app name or page title with control or text-direction characters is 400 naming the field")
  void hiddenCharactersRefused() {
    ApiResponse name = http().post("/v1/apps", new JsonObject().put("name", "Shop \u202Epot").put("slug", slug()), ADMIN);
    assertEquals(400, name.status(), name.body());
    assertTrue(name.json().getString("message").startsWith("name"), name.body());
    ApiResponse title = http().post("/v1/apps", new JsonObject().put("name", "Shop").put("slug", slug())
        .put("settings", new JsonObject().put("hosted_title", "b\u0007c\u001b[31m")), ADMIN);
    assertEquals(400, title.status(), title.body());
    assertTrue(title.json().getString("message").startsWith("settings.hosted_title"), title.body());
  }

  @ParameterizedTest(name = "slug \"{0}\"")
  @ValueSource(strings = {"ab", "Upper-Case", "under_score", "with space", "portcullis:console",
      "a-slug-that-is-far-too-long-to-be-accepted-here"})
  @DisplayName("a slug outside [a-z0-9-]{3,40} is 400 invalid_request naming slug")
  void badSlug(String slug) {
    ApiResponse response = http().post("/v1/apps", new JsonObject().put("name", "X").put("slug", slug), ADMIN);
    assertEquals(400, response.status());
    assertEquals("invalid_request", response.error());
    assertTrue(response.json().getString("message").startsWith("slug"), response.body());
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
      "otp_length, 3", "otp_length, 11", "refresh_reuse_grace_seconds, 61", "refresh_reuse_grace_seconds, -1",
      "access_token_ttl, 59", "access_token_ttl, 86401", "otp_max_attempts, 0", "otp_ttl, 1.5",
      "refresh_token_ttl, 31536001"})
  @DisplayName("an out-of-range setting is 400 invalid_request naming the field")
  void settingOutOfRange(String field, String value) {
    JsonObject settings = new JsonObject().put(field, new JsonArray("[" + value + "]").getValue(0));
    ApiResponse response = http().post("/v1/apps",
        new JsonObject().put("name", "X").put("slug", slug()).put("settings", settings), ADMIN);
    assertEquals(400, response.status(), response.body());
    assertEquals("invalid_request", response.error());
    assertTrue(response.json().getString("message").contains("settings." + field), response.body());
  }

  @Test
  @DisplayName("the edges of every range are accepted, and an unknown setting is refused by name")
  void rangeEdgesAccepted() {
    JsonObject low = new JsonObject().put("otp_length", 4).put("refresh_reuse_grace_seconds", 0)
        .put("otp_channels", new JsonArray().add("email")).put("sms_allowed_countries", new JsonArray().add("id"));
    ApiResponse created = http().post("/v1/apps",
        new JsonObject().put("name", "X").put("slug", slug()).put("settings", low), ADMIN);
    assertEquals(201, created.status(), created.body());
    assertEquals(new JsonArray().add("ID"), created.json().getJsonObject("settings").getJsonArray("sms_allowed_countries"));
    JsonObject high = new JsonObject().put("otp_length", 10).put("refresh_reuse_grace_seconds", 60);
    assertEquals(201, http().post("/v1/apps",
        new JsonObject().put("name", "X").put("slug", slug()).put("settings", high), ADMIN).status());

    ApiResponse unknown = http().post("/v1/apps", new JsonObject().put("name", "X").put("slug", slug())
        .put("settings", new JsonObject().put("otp_colour", "blue")), ADMIN);
    assertEquals(400, unknown.status());
    assertTrue(unknown.json().getString("message").contains("settings.otp_colour"), unknown.body());
  }

  @Test
  @DisplayName("callback URLs that are absolute https (or http on localhost) are stored exactly as given")
  void callbackUrlsStoredAsGiven() {
    JsonArray urls = new JsonArray().add("https://shop.example.com/Auth/Callback?x=1").add("http://localhost:3000/cb")
        .add("http://127.0.0.1/cb").add("https://EXAMPLE.org:8443/a/../b");
    ApiResponse created = http().post("/v1/apps",
        new JsonObject().put("name", "X").put("slug", slug()).put("callback_urls", urls), ADMIN);
    assertEquals(201, created.status(), created.body());
    assertEquals(urls, created.json().getJsonArray("callback_urls"));
    ApiResponse fetched = http().get("/v1/apps/" + created.json().getString("app_id"), ADMIN);
    assertEquals(urls, fetched.json().getJsonArray("callback_urls"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"http://shop.example.com/cb", "https://*.example.com/cb", "https://shop.example.com/*",
      "/relative/cb", "ftp://example.com/cb", "https://example.com/cb#frag", "localhost:3000/cb", "not a url",
      "https://user:pw@example.com/cb", "https://example.com/caf\u00e9", "https://example.com/cb?x=1&code=zzz",
      "https://example.com/cb?state=s", "https://example.com/cb?%69ss=x", "https://example.com/cb?error",
      "https://example.com/cb?auth_code=1", "https://example.com:99999/cb", "https://example.com:0/cb",
      "https://example.com:99999999999/cb"})
  @DisplayName("a callback URL that is not absolute https in ASCII, has a wildcard, or carries a parameter the answer "
      + "adds (code, state, iss, error...) is 400 naming callback_urls")
  void badCallbackUrl(String url) {
    ApiResponse response = http().post("/v1/apps", new JsonObject().put("name", "X").put("slug", slug())
        .put("callback_urls", new JsonArray().add(url)), ADMIN);
    assertEquals(400, response.status(), response.body());
    assertEquals("invalid_request", response.error());
    assertTrue(response.json().getString("message").startsWith("callback_urls"), response.body());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"https://example.com:0/cb, no valid port", "https://example.com:65536/cb, no valid port",
      "https://example.com:99999999999/cb, no valid port", "https://user@a.example.com/cb, user name",
      "https://user:pw@a.example.com/cb, user name"})
  @DisplayName("a callback URL's port outside 1-65535 (also one beyond an int, h77) or a user name in it (h83) is "
      + "refused saying so")
  void callbackUrlRefusalSaysWhy(String url, String reason) {
    ApiResponse response = http().post("/v1/apps", new JsonObject().put("name", "X").put("slug", slug())
        .put("callback_urls", new JsonArray().add(url)), ADMIN);
    assertTrue(response.json().getString("message").contains(reason), url + ": " + response.body());
  }

  @Test
  @DisplayName("a callback URL's host longer than DNS allows (253 characters, labels of 63) is refused (h86)")
  void callbackHostWithinDnsLimits() {
    String label63 = "a".repeat(63);
    String longest = String.join(".", label63, label63, label63, "a".repeat(53) + ".example");
    assertEquals(253, longest.length());
    for (String host : List.of(longest + "x", "a".repeat(64) + ".example.com")) {
      ApiResponse response = http().post("/v1/apps", new JsonObject().put("name", "X").put("slug", slug())
          .put("callback_urls", new JsonArray().add("https://" + host + "/cb")), ADMIN);
      assertEquals(400, response.status(), host);
      assertTrue(response.json().getString("message").contains("host name"), response.body());
    }
    assertEquals(201, http().post("/v1/apps", new JsonObject().put("name", "X").put("slug", slug())
        .put("callback_urls", new JsonArray().add("https://" + longest + "/cb")), ADMIN).status());
  }

  @Test
  @DisplayName("a callback URL listed twice is refused naming it, on create and on change")
  void duplicateCallbackUrl() {
    JsonArray twice = new JsonArray().add("https://shop.example.com/cb").add("https://shop.example.com/cb");
    ApiResponse created = http().post("/v1/apps", new JsonObject().put("name", "X").put("slug", slug())
        .put("callback_urls", twice), ADMIN);
    assertEquals(400, created.status(), created.body());
    assertTrue(created.json().getString("message").contains("listed twice"), created.body());
    ApiResponse app = http().post("/v1/apps", new JsonObject().put("name", "X").put("slug", slug()), ADMIN);
    ApiResponse changed = http().patch("/v1/apps/" + app.json().getString("app_id"),
        new JsonObject().put("callback_urls", twice), ADMIN);
    assertEquals(400, changed.status(), changed.body());
    assertTrue(changed.json().getString("message").startsWith("callback_urls"), changed.body());
  }

  @Test
  @DisplayName("a callback URL with an upper-case scheme is refused saying the scheme must be lower case")
  void upperCaseScheme() {
    ApiResponse response = http().post("/v1/apps", new JsonObject().put("name", "X").put("slug", slug())
        .put("callback_urls", new JsonArray().add("HTTPS://shop.example.com/cb")), ADMIN);
    assertEquals(400, response.status(), response.body());
    assertTrue(response.json().getString("message").contains("lower case"), response.body());
  }

  @Test
  @DisplayName("getting an app shows its current public key and never its secret")
  void getApp() {
    JsonObject app = gateway.createApp(slug());
    ApiResponse response = http().get("/v1/apps/" + app.getString("app_id"), ADMIN);
    assertEquals(200, response.status());
    JsonObject body = response.json();
    assertEquals(app.getString("slug"), body.getString("slug"));
    assertEquals(app.getString("jwt_public_key"), body.getString("jwt_public_key"));
    assertEquals(app.getString("created_at"), body.getString("created_at"));
    assertFalse(body.containsKey("app_secret"));
    assertFalse(response.body().contains(app.getString("app_secret")));
    assertFalse(response.body().contains("secret_hash"));
  }

  @Test
  @DisplayName("the admin key lists every client app, newest first, page by page, never the console app")
  void listPages() {
    List<String> made = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      made.add(0, gateway.createApp(slug()).getString("app_id"));
    }
    ApiResponse first = http().get("/v1/apps?limit=2", ADMIN);
    assertEquals(200, first.status(), first.body());
    JsonArray firstApps = first.json().getJsonArray("apps");
    assertEquals(2, firstApps.size());
    assertEquals(made.get(0), firstApps.getJsonObject(0).getString("app_id"));
    assertEquals(made.get(1), firstApps.getJsonObject(1).getString("app_id"));
    assertFalse(first.body().contains("app_secret"));
    String cursor = first.json().getString("next_cursor");
    assertNotNull(cursor);

    ApiResponse second = http().get("/v1/apps?limit=2&cursor=" + cursor, ADMIN);
    assertEquals(made.get(2), second.json().getJsonArray("apps").getJsonObject(0).getString("app_id"));

    Set<String> all = new HashSet<>();
    String next = null;
    do {
      ApiResponse page = http().get("/v1/apps?limit=500" + (next == null ? "" : "&cursor=" + next), ADMIN);
      page.json().getJsonArray("apps").forEach(item -> all.add(((JsonObject) item).getString("app_id")));
      next = page.json().getString("next_cursor");
    } while (next != null);
    assertTrue(all.containsAll(made));
    assertFalse(all.contains(App.CONSOLE_ID.toString()));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"limit=0", "limit=501", "limit=ten", "limit=%EF%BC%91%EF%BC%90", "limit=%2B5",
      "cursor=not-a-cursor"})
  @DisplayName("a bad limit or cursor is 400 invalid_request naming it")
  void badPaging(String query) {
    ApiResponse response = http().get("/v1/apps?" + query, ADMIN);
    assertEquals(400, response.status());
    assertTrue(response.json().getString("message").startsWith(query.substring(0, query.indexOf('='))), response.body());
  }

  @Test
  @DisplayName("PATCH changes name, callback URLs and the given settings only, and audits which fields changed")
  void patchChangesFields() {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Before").put("slug", slug())
        .put("settings", new JsonObject().put("otp_length", 8)));
    String id = app.getString("app_id");
    JsonObject patch = new JsonObject().put("name", "After")
        .put("callback_urls", new JsonArray().add("https://after.example.com/cb"))
        .put("settings", new JsonObject().put("access_token_ttl", 600));
    ApiResponse response = http().patch("/v1/apps/" + id, patch, ADMIN);
    assertEquals(200, response.status(), response.body());
    JsonObject body = response.json();
    assertEquals("After", body.getString("name"));
    assertEquals(new JsonArray().add("https://after.example.com/cb"), body.getJsonArray("callback_urls"));
    assertEquals(600, body.getJsonObject("settings").getInteger("access_token_ttl"));
    assertEquals(8, body.getJsonObject("settings").getInteger("otp_length"), "untouched settings keep their values");
    assertEquals(app.getString("jwt_public_key"), body.getString("jwt_public_key"));
    assertEquals(app.getString("slug"), body.getString("slug"));

    JsonObject fetched = http().get("/v1/apps/" + id, ADMIN).json();
    assertEquals("After", fetched.getString("name"));
    assertEquals(600, fetched.getJsonObject("settings").getInteger("access_token_ttl"));

    JsonObject event = audit.one(AuditEvent.APP_CHANGED, id);
    assertEquals(new JsonArray().add("name").add("callback_urls").add("settings.access_token_ttl"),
        event.getJsonObject("data").getJsonArray("fields"));
    assertEquals("operator", event.getJsonObject("data").getString("actor"));
    // And their values (h76): where codes now go, and what a setting was before.
    JsonObject changes = event.getJsonObject("data").getJsonObject("changes");
    assertEquals(new JsonObject().put("from", "Before").put("to", "After"), changes.getJsonObject("name"));
    assertEquals(new JsonArray().add("https://after.example.com/cb"),
        changes.getJsonObject("callback_urls").getJsonArray("added"));
    assertEquals(900, changes.getJsonObject("settings.access_token_ttl").getInteger("from"));
    assertEquals(600, changes.getJsonObject("settings.access_token_ttl").getInteger("to"));
  }

  @Test
  @DisplayName("an app.changed event keeps within an event's 8 KiB and still names every callback URL added, cut "
      + "short where all would not fit whole (h77: long URLs kept the added one out of the log)")
  void changeValuesWithinTheEventsRoom() {
    String id = gateway.createApp(slug()).getString("app_id");
    JsonArray urls = new JsonArray().add("https://attacker.example/grab");
    for (int i = 0; i < 19; i++) {
      urls.add("https://shop.example.com/" + i + "?" + "q".repeat(2_000));
    }
    JsonObject settings = new JsonObject().put("otp_length", 7);
    ApiResponse response = http().patch("/v1/apps/" + id, new JsonObject().put("callback_urls", urls)
        .put("settings", settings), ADMIN);
    assertEquals(200, response.status(), response.body());
    JsonObject data = audit.one(AuditEvent.APP_CHANGED, id).getJsonObject("data");
    assertEquals(new JsonArray().add("callback_urls").add("settings.otp_length"), data.getJsonArray("fields"));
    JsonArray added = data.getJsonObject("changes").getJsonObject("callback_urls").getJsonArray("added");
    assertEquals(20, added.size());
    assertEquals("https://attacker.example/grab", added.getString(0));
    assertTrue(added.getString(1).startsWith("https://shop.example.com/0?q") && added.getString(1).endsWith("…"));

    // URLs that fit are kept whole; cut ones keep their origin, however long (h83: the attacker's domain was cut off).
    String id2 = gateway.createApp(slug()).getString("app_id");
    JsonArray fitting = new JsonArray().add("https://shop.example.com/cb").add("https://shop.example.com/return");
    assertEquals(200, http().patch("/v1/apps/" + id2, new JsonObject().put("callback_urls", fitting), ADMIN).status());
    assertEquals(fitting, audit.one(AuditEvent.APP_CHANGED, id2).getJsonObject("data").getJsonObject("changes")
        .getJsonObject("callback_urls").getJsonArray("added"));
    String attacker = "https://shop.example.com.login-verify-session-" + "0".repeat(40) + "." + "0".repeat(60)
        + ".attacker.net/cb";
    JsonArray padded = new JsonArray().add(attacker);
    for (int i = 0; i < 19; i++) {
      padded.add("https://shop.example.com/cb/" + "p".repeat(300) + "/" + i);
    }
    assertEquals(200, http().patch("/v1/apps/" + id2, new JsonObject().put("callback_urls", padded), ADMIN).status());
    dev.portcullis.testing.Await.until("the second app.changed", java.time.Duration.ofSeconds(5),
        () -> audit.of(AuditEvent.APP_CHANGED, id2).size() == 2);
    assertTrue(audit.of(AuditEvent.APP_CHANGED, id2).stream().anyMatch(event -> event.encode()
        .contains("attacker.net")), "the new destination's whole origin is in the log");
    // Only reordered: the same set of URLs, no event.
    JsonArray reversed = new JsonArray();
    for (int i = padded.size() - 1; i >= 0; i--) {
      reversed.add(padded.getString(i));
    }
    assertEquals(200, http().patch("/v1/apps/" + id2, new JsonObject().put("callback_urls", reversed), ADMIN).status());
    assertEquals(2, audit.of(AuditEvent.APP_CHANGED, id2).size());
    // Nor are the settings that are sets, reordered (h86).
    JsonObject sets = new JsonObject().put("otp_channels", new JsonArray().add("email").add("sms"))
        .put("sms_allowed_countries", new JsonArray().add("XK").add("AC"));
    assertEquals(200, http().patch("/v1/apps/" + id2, new JsonObject().put("settings", sets), ADMIN).status());
    dev.portcullis.testing.Await.until("the third app.changed", java.time.Duration.ofSeconds(5),
        () -> audit.of(AuditEvent.APP_CHANGED, id2).size() == 3);
    JsonObject reordered = new JsonObject().put("otp_channels", new JsonArray().add("sms").add("email"))
        .put("sms_allowed_countries", new JsonArray().add("AC").add("XK"));
    assertEquals(200, http().patch("/v1/apps/" + id2, new JsonObject().put("settings", reordered), ADMIN).status());
    assertEquals(3, audit.of(AuditEvent.APP_CHANGED, id2).size());

    // Many long hosts (as long as DNS allows) added first, then all replaced by a short new one: the short one's
    // domain is named, however many long ones leave (h86: counts alone hid it).
    String id3 = gateway.createApp(slug()).getString("app_id");
    String label63 = "a".repeat(63);
    JsonArray longHosts = new JsonArray();
    for (int i = 0; i < 20; i++) {
      longHosts.add("https://" + label63 + "." + label63 + "." + label63 + ".x" + i + ".example.com/cb");
    }
    assertEquals(200, http().patch("/v1/apps/" + id3, new JsonObject().put("callback_urls", longHosts), ADMIN).status());
    JsonArray evil = new JsonArray().add("https://evil.example.net/cb")
        .add("https://accounts.examplecorporation-secure-login.com/cb");
    for (int i = 0; i < 18; i++) {
      evil.add("https://" + label63 + "." + label63 + "." + label63 + ".y" + i + ".example.com/cb");
    }
    assertEquals(200, http().patch("/v1/apps/" + id3, new JsonObject().put("callback_urls", evil), ADMIN).status());
    dev.portcullis.testing.Await.until("the second app.changed", java.time.Duration.ofSeconds(5),
        () -> audit.of(AuditEvent.APP_CHANGED, id3).size() == 2);
    JsonObject replaced = audit.of(AuditEvent.APP_CHANGED, id3).stream()
        .map(event -> event.getJsonObject("data").getJsonObject("changes").getJsonObject("callback_urls"))
        .filter(change -> Integer.valueOf(20).equals(change.getValue("removed")))
        .findFirst().orElseThrow();
    JsonArray addedOrigins = replaced.getJsonArray("added");
    assertEquals(20, addedOrigins.size(), replaced.encode());
    assertTrue(addedOrigins.contains("https://evil.example.net/cb"), replaced.encode());
    // A long registrable domain whole too (h98: a host's last 32 characters showed only "…com").
    assertTrue(addedOrigins.contains("https://accounts.examplecorporation-secure-login.com…"), replaced.encode());
    assertEquals("https://" + label63 + "." + label63 + "." + label63 + ".y0.example.com…", addedOrigins.getString(2),
        replaced.encode());

    // Every URL replaced and every setting changed at once: the event is still stored, with what fits.
    JsonArray others = new JsonArray();
    for (int i = 0; i < 20; i++) {
      others.add("https://other.example.com/" + i + "?" + "r".repeat(2_000));
    }
    JsonObject all = new JsonObject().put("otp_length", 5).put("otp_ttl", 120).put("otp_max_attempts", 3)
        .put("otp_resend_cooldown", 10).put("otp_max_sends_per_hour", 9).put("access_token_ttl", 300)
        .put("refresh_token_ttl", 3600).put("refresh_reuse_grace_seconds", 5).put("password_min_length", 12)
        .put("pow_max_difficulty", 20).put("password_max_failures", 5).put("hosted_title", "T".repeat(80));
    ApiResponse everything = http().patch("/v1/apps/" + id, new JsonObject().put("callback_urls", others)
        .put("settings", all).put("name", "N".repeat(100)), ADMIN);
    assertEquals(200, everything.status(), everything.body());
    dev.portcullis.testing.Await.until("the second app.changed", java.time.Duration.ofSeconds(5),
        () -> audit.of(AuditEvent.APP_CHANGED, id).size() == 2);
  }

  @Test
  @DisplayName("PATCH with an invalid setting or a field that cannot change is 400 and changes nothing")
  void patchRefusesBadInput() {
    JsonObject app = gateway.createApp(slug());
    String id = app.getString("app_id");
    ApiResponse badSetting = http().patch("/v1/apps/" + id, new JsonObject().put("name", "Changed")
        .put("settings", new JsonObject().put("otp_length", 11)), ADMIN);
    assertEquals(400, badSetting.status());
    assertTrue(badSetting.json().getString("message").contains("settings.otp_length"), badSetting.body());
    // Beyond 64 bits: 2^64 + 60 and -(2^64) + 4 are out of range, not 60 and 4 (their low 64 bits).
    for (String huge : List.of("{\"settings\":{\"access_token_ttl\":18446744073709551676}}",
        "{\"settings\":{\"otp_length\":-18446744073709551612}}", "{\"settings\":{\"default_roles\":[18446744073709551621]}}")) {
      ApiResponse refused = http().send("PATCH", "/v1/apps/" + id, huge, "Content-Type", "application/json",
          "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
      assertEquals(400, refused.status(), huge + ": " + refused.body());
    }
    ApiResponse slug = http().patch("/v1/apps/" + id, new JsonObject().put("slug", "renamed"), ADMIN);
    assertEquals(400, slug.status());
    assertTrue(slug.json().getString("message").startsWith("slug"), slug.body());
    ApiResponse badUrl = http().patch("/v1/apps/" + id,
        new JsonObject().put("callback_urls", new JsonArray().add("http://evil.example.com/cb")), ADMIN);
    assertEquals(400, badUrl.status());
    assertEquals(app.getString("name"), http().get("/v1/apps/" + id, ADMIN).json().getString("name"));
    assertTrue(audit.of(AuditEvent.APP_CHANGED, id).isEmpty());
  }

  @Test
  @DisplayName("deleting an app answers 200 {app_id, deleted}; afterwards it is 404 and its credentials are refused")
  void deleteApp() {
    JsonObject app = gateway.createApp(slug());
    String id = app.getString("app_id");
    ApiResponse deleted = http().delete("/v1/apps/" + id, ADMIN);
    assertEquals(200, deleted.status());
    assertEquals(new JsonObject().put("app_id", id).put("deleted", true), deleted.json());
    assertEquals(404, http().get("/v1/apps/" + id, ADMIN).status());
    assertEquals(404, http().delete("/v1/apps/" + id, ADMIN).status());
    ApiResponse client = http().post("/auth/refresh", new JsonObject().put("app_id", id)
        .put("app_secret", app.getString("app_secret")).put("refresh_token", "x"));
    assertEquals(401, client.status());
    assertEquals("invalid_client", client.error());
    assertEquals("operator", audit.one(AuditEvent.APP_DELETED, id).getJsonObject("data").getString("actor"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"GET, not-a-uuid", "GET, 6a4c0b52-0f7e-4d39-9d9f-1f4b2b0f0e11",
      "DELETE, 00000000-0000-0000-0000-000000000001",
      "POST, 00000000-0000-0000-0000-000000000001/rotate-secret",
      "POST, 00000000-0000-0000-0000-000000000001/rotate-signing-key", "POST, not-a-uuid/rotate-secret"})
  @DisplayName("a malformed or unknown app id is 404 not_found, and so is the console app beyond reading and changing its "
      + "settings, even for the admin key")
  void notFound(String method, String path) {
    ApiResponse response = http().send(method, "/v1/apps/" + path, "{\"name\":\"x\"}",
        "Content-Type", "application/json", ADMIN[0], ADMIN[1]);
    assertEquals(404, response.status(), response.body());
    assertEquals("not_found", response.error());
  }

  @Test
  @DisplayName("the console app cannot be renamed or deleted: it is still there, unchanged")
  void consoleUntouched() throws Exception {
    http().send("PATCH", "/v1/apps/" + App.CONSOLE_ID, "{\"name\":\"mine\"}", "Content-Type", "application/json",
        ADMIN[0], ADMIN[1]);
    http().delete("/v1/apps/" + App.CONSOLE_ID, ADMIN);
    try (Connection db = gateway.jdbc();
         ResultSet row = db.createStatement().executeQuery("SELECT name FROM apps WHERE id = '" + App.CONSOLE_ID + "'")) {
      assertTrue(row.next());
      assertEquals("Portcullis console", row.getString(1));
    }
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"", "Bearer wrong-key", "Basic dGVzdDp0ZXN0", "Bearer test-admin-key-012345678"})
  @DisplayName("without the admin key or an owner token every /v1/apps call is 401 invalid_token")
  void adminKeyRequired(String authorization) {
    String[] headers = authorization.isEmpty() ? new String[0] : new String[] {"Authorization", authorization};
    ApiResponse list = http().get("/v1/apps", headers);
    assertEquals(401, list.status(), list.body());
    assertEquals("invalid_token", list.error());
    ApiResponse create = http().post("/v1/apps", new JsonObject().put("name", "X").put("slug", slug()), headers);
    assertEquals(401, create.status());
  }

  @Test
  @DisplayName("creation is audited with the slug and who did it, and no event carries a secret")
  void createAudited() {
    JsonObject app = gateway.createApp(slug());
    JsonObject event = audit.one(AuditEvent.APP_CREATED, app.getString("app_id"));
    assertEquals(app.getString("slug"), event.getJsonObject("data").getString("slug"));
    assertEquals("operator", event.getJsonObject("data").getString("actor"));
    assertNotNull(event.getString("request_id"));
    assertFalse(audit.allEncoded().contains(app.getString("app_secret")));
  }

  @Test
  @DisplayName("apps created and deleted are counted in the metrics, without any id in a label")
  void metrics() {
    double createdBefore = PrometheusText.counter(gateway, "portcullis_app_creations_total");
    double deletedBefore = PrometheusText.counter(gateway, "portcullis_app_deletions_total");
    JsonObject app = gateway.createApp(slug());
    http().delete("/v1/apps/" + app.getString("app_id"), ADMIN);
    assertEquals(createdBefore + 1, PrometheusText.counter(gateway, "portcullis_app_creations_total"));
    assertEquals(deletedBefore + 1, PrometheusText.counter(gateway, "portcullis_app_deletions_total"));
    String metrics = gateway.management().get("/metrics").body();
    assertFalse(metrics.contains(app.getString("app_id")));
    assertTrue(metrics.contains("route=\"/v1/apps/:app_id\""), "routes by template");
  }

  @Test
  @DisplayName("an app made with the admin key has no owner")
  void adminAppsHaveNoOwner() {
    JsonObject app = gateway.createApp(slug());
    assertNull(app.getValue("owner_id"));
  }

  private static byte[] der(String pem) {
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return Base64.getDecoder().decode(base64);
  }
}
