package dev.portcullis.hosted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Hosted sign-in (Autz.org onboarding and UserInfo), over plain HTTP")
class HostedSignInTest {

  private static final String CALLBACK = "https://shop.example.com/auth/callback";

  private static HostedFixture fixture;
  private static AuditTap audit;
  private static JsonObject app;
  private static String appId;

  @BeforeAll
  static void start() {
    fixture = new HostedFixture();
    audit = new AuditTap(fixture.gateway);
    app = fixture.app("hosted-shop", List.of(CALLBACK, "http://localhost:3000/authorize_autzorg"),
        new JsonObject().put("profile_fields", new io.vertx.core.json.JsonArray(List.of("name", "dob"))));
    appId = app.getString("app_id");
  }

  @AfterAll
  static void stop() {
    audit.close();
    fixture.close();
  }

  private static String onboarding(String callback, String state) {
    return "/onboarding/" + appId + "?callback_url=" + FormBrowser.encode(callback)
        + (state == null ? "" : "&state=" + FormBrowser.encode(state));
  }

  /** Signs in and answers the profile step; answers the final redirect. */
  private static FormBrowser.Page completeFlow(FormBrowser browser, String start, String email) {
    FormBrowser.Page page = browser.get(start);
    assertEquals(200, page.status(), page.toString());
    FormBrowser.Page profile = fixture.signIn(browser, page, email);
    assertTrue(profile.body().contains("name=\"name\""), profile.toString());
    return browser.submit(profile, Map.of("name", "Kim Lee", "dob", "1990-02-14", "action", "profile"));
  }

  private static Map<String, String> query(String location) {
    Map<String, String> params = new LinkedHashMap<>();
    for (String pair : URI.create(location).getRawQuery().split("&")) {
      String[] kv = pair.split("=", 2);
      params.put(kv[0], java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    return params;
  }

  private static ApiResponse userinfo(String code, String... headers) {
    return fixture.gateway.http().get("/api/client/" + appId + "/userinfo?code=" + FormBrowser.encode(code), headers);
  }

  @Test
  @DisplayName("a user signs in with an email code, gives a name and birth date, and the app trades the code for them")
  void signInAndUserInfo() {
    FormBrowser browser = fixture.browser();
    FormBrowser.Page first = browser.get(onboarding(CALLBACK, "st-123"));
    assertEquals("no-store", first.header("Cache-Control"));
    assertTrue(first.header("Content-Security-Policy").contains("frame-ancestors 'none'"));
    String cookie = first.header("Set-Cookie").toLowerCase(java.util.Locale.ROOT);
    assertTrue(cookie.contains("httponly") && cookie.contains("samesite=lax") && !cookie.contains("secure"), cookie);
    assertTrue(first.body().contains("Shop hosted-shop"), "the page names the app");

    FormBrowser.Page done = completeFlow(browser, onboarding(CALLBACK, "st-123"), "kim@example.com");
    assertEquals(302, done.status(), done.toString());
    assertTrue(done.location().startsWith(CALLBACK + "?auth_code="), done.location());
    Map<String, String> params = query(done.location());
    assertEquals("st-123", params.get("state"));
    assertEquals(43, params.get("auth_code").length(), "256 bits, base64url");

    ApiResponse info = userinfo(params.get("auth_code"), "Authorization", HostedFixture.basic(app));
    assertEquals(200, info.status(), info.toString());
    JsonObject user = info.json().getJsonObject("user");
    assertEquals("kim@example.com", user.getString("email"));
    assertEquals("Kim Lee", user.getString("name"));
    assertEquals("1990-02-14", user.getString("dob"));
    assertNotNull(user.getString("id"));
    String userId = user.getString("id");
    assertEquals(1, audit.of(CodeExchange.EXCHANGED, appId).stream()
        .filter(event -> userId.equals(event.getString("user_id"))).count());
    assertEquals(1, audit.of(FlowEngine.COMPLETED, appId).stream()
        .filter(event -> userId.equals(event.getString("user_id"))).count());
    assertTrue(audit.allEncoded().indexOf(params.get("auth_code")) < 0, "no code in any audit event");
  }

  @Test
  @DisplayName("a returning user whose profile holds every field asked goes straight back to the app")
  void returningUserNotAskedAgain() {
    String email = "returning@example.com";
    ApiResponse made = fixture.gateway.http().send("POST", "/v1/apps/" + appId + "/users",
        new JsonObject().put("email", email)
            .put("profile", new JsonObject().put("name", "Kim Lee").put("dob", "1990-02-14")).encode(),
        "Content-Type", "application/json", "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY);
    assertEquals(201, made.status(), made.toString());

    FormBrowser browser = fixture.browser();
    FormBrowser.Page done = fixture.signIn(browser, browser.get(onboarding(CALLBACK, "st-2")), email);
    assertEquals(302, done.status(), "no profile step: " + done);
    Map<String, String> params = query(done.location());
    assertEquals("st-2", params.get("state"));
    JsonObject user = userinfo(params.get("auth_code"), "Authorization", HostedFixture.basic(app)).json()
        .getJsonObject("user");
    assertEquals("Kim Lee", user.getString("name"));
    assertEquals("1990-02-14", user.getString("dob"));
  }

  @Test
  @DisplayName("a user whose profile lacks a field asked is asked for it, with what the profile holds filled in")
  void profileStepFilledWithWhatIsKept() {
    JsonObject more = fixture.app("hosted-more", List.of(CALLBACK),
        new JsonObject().put("profile_fields", new io.vertx.core.json.JsonArray(List.of("name", "address"))));
    String moreId = more.getString("app_id");
    String email = "partly@example.com";
    ApiResponse made = fixture.gateway.http().send("POST", "/v1/apps/" + moreId + "/users",
        new JsonObject().put("email", email).put("profile", new JsonObject().put("name", "Ada <Byron>")).encode(),
        "Content-Type", "application/json", "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY);
    assertEquals(201, made.status(), made.toString());

    FormBrowser browser = fixture.browser();
    FormBrowser.Page profile = fixture.signIn(browser, browser.get("/onboarding/" + moreId + "?state=s&callback_url="
        + FormBrowser.encode(CALLBACK)), email);
    assertEquals(200, profile.status(), profile.toString());
    assertTrue(profile.body().contains("value=\"Ada &lt;Byron>\""), "the kept name, escaped: " + profile.body());
    assertTrue(profile.body().contains("name=\"address\" type=\"text\" maxlength"), profile.body());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {
      "https://shop.example.com/auth/callback/",          // trailing slash
      "https://shop.example.com:443/auth/callback",       // explicit port
      "https://shop.example.com:8443/auth/callback",      // another port
      "https://shop.example.com/auth/callback/evil",      // path suffix
      "https://shop.example.com/auth/callbackx",          // longer path
      "https://shop.example.com/auth",                    // prefix
      "http://shop.example.com/auth/callback",            // scheme
      "https://evil@shop.example.com/auth/callback",      // user-info
      "https://shop.example.com%40evil.example/auth/callback",
      "https://shop.example.com/auth/%63allback",         // percent-encoding
      "https://SHOP.example.com/auth/callback",           // host case
      "https://shop.example.com/Auth/Callback",           // path case
      "HTTPS://shop.example.com/auth/callback",           // scheme case
      "https://shop.example.com/auth/callback?next=/x",   // extra query
      "https://shop.example.com/auth/callback#frag",      // fragment
      "https://shop.example.com.evil.example/auth/callback",
      "https://*.example.com/auth/callback",
      ""})
  @DisplayName("a callback_url that is not exactly a registered one is a 400 page, never a redirect")
  void callbackVariantsRefused(String callback) {
    FormBrowser.Page page = fixture.browser().get(onboarding(callback, "s"));
    assertEquals(400, page.status(), page.toString());
    assertNull(page.location());
    assertTrue(page.body().contains("callback_url"), page.body());
    assertTrue(!page.body().contains("<form"), "no form on a refused page");
  }

  @Test
  @DisplayName("a profile answer that is refused shows the form again with every field as it was filled in")
  void profileKeepsWhatWasTyped() {
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get(onboarding(CALLBACK, "st-typed"));
    FormBrowser.Page profile = fixture.signIn(browser, page, "typed@example.com");
    FormBrowser.Page refused = browser.submit(profile, Map.of("name", "x".repeat(300), "dob", "1990-02-14",
        "action", "profile"));
    assertEquals(400, refused.status(), refused.toString());
    assertTrue(refused.body().contains("value=\"1990-02-14\""), "the birth date typed is kept: " + refused.body());
    assertTrue(refused.body().matches("(?s).*<input id=\"name\"[^>]*aria-invalid=\"true\".*"),
        "a screen reader hears the name is in error: " + refused.body());
    assertFalse(refused.body().matches("(?s).*<input id=\"dob\"[^>]*aria-invalid.*"),
        "and not the birth date, which was right (h69: every field was marked, and the focus went to the first): "
            + refused.body());
    assertFalse(refused.body().matches("(?s).*<input id=\"dob\"[^>]*aria-describedby.*"),
        "nor described by an error not about it (h87): " + refused.body());
    assertTrue(refused.body().contains("<title>Your details – "), "each step has a title of its own: " + refused.body());
    FormBrowser.Page reversed = browser.submit(refused, Map.of("name", "\u202Eevil", "dob", "1990-02-14",
        "action", "profile"));
    assertEquals(400, reversed.status(), "a text-direction override is refused: " + reversed);
  }

  @Test
  @DisplayName("a link without state or code_challenge is refused with a 400 page")
  void missingState() {
    FormBrowser.Page page = fixture.browser().get(onboarding(CALLBACK, null));
    assertEquals(400, page.status());
    assertNull(page.location());
    assertTrue(page.body().contains("state"));
  }

  @Test
  @DisplayName("a form with a wrong CSRF token is refused and sends no code")
  void csrfRefused() {
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get(onboarding(CALLBACK, "s"));
    int before = fixture.codesSentTo("csrf@example.com");
    FormBrowser.Page refused = browser.submit(page, Map.of("identity", "csrf@example.com", "csrf_token", "forged"));
    assertEquals(403, refused.status(), refused.toString());
    Map<String, String> noToken = new LinkedHashMap<>(page.hidden());
    noToken.remove("csrf_token");
    noToken.put("identity", "csrf@example.com");
    assertEquals(403, browser.post(page.action(), noToken).status());
    assertEquals(before, fixture.codesSentTo("csrf@example.com"));
  }

  @Test
  @DisplayName("a flow's form posted again and again (errors, the back button's form) adds no audit row per post, "
      + "only entering a step does (a stranger's 3,000 posts added 3,000 rows that are never deleted)")
  void repostsAddNoAuditRows() {
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get(onboarding(CALLBACK, "s"));
    String flowId = page.hidden().get("flow_id");
    for (int i = 0; i < 5; i++) {
      assertEquals(400, browser.submit(page, Map.of("identity", "not an address " + i)).status());
    }
    FormBrowser.Page next = browser.submit(page, Map.of("identity", "reposted@example.com"));
    assertEquals(200, next.status(), next.toString());
    for (int i = 0; i < 5; i++) {
      assertEquals(200, browser.submit(page, Map.of("identity", "reposted@example.com")).status(),
          "the identity step's form again: the step the flow is at, shown again");
    }
    List<JsonObject> shown = audit.events(FlowEngine.PAGE_SHOWN).stream()
        .filter(event -> flowId.equals(event.getJsonObject("data").getString("flow_id"))).toList();
    assertEquals(List.of("identity", next.hidden().get("step")),
        shown.stream().map(event -> event.getJsonObject("data").getString("step")).toList());
  }

  @Test
  @DisplayName("refusals of a hosted code step that check no code (a resend inside its cooldown, a code posted to a "
      + "burned request) are counted, not audited one row per post (h86: 2,387 rows in 5 s from one flow)")
  void codeStepRefusalsAddNoAuditRows() {
    JsonObject strict = fixture.app("hosted-strict", List.of(CALLBACK), new JsonObject()
        .put("otp_resend_cooldown", 60).put("otp_max_attempts", 2).put("hosted_password", false));
    String strictId = strict.getString("app_id");
    FormBrowser browser = fixture.browser();
    FormBrowser.Page codeStep = fixture.toCodeStep(browser, browser.get("/onboarding/" + strictId + "?callback_url="
        + FormBrowser.encode(CALLBACK) + "&state=s"), "reposting@example.com");
    for (int i = 0; i < 5; i++) {
      assertEquals(400, browser.submit(codeStep, Map.of("action", "resend")).status(), "inside the cooldown");
    }
    assertEquals(List.of(), audit.of(AuditEvent.RATE_LIMITED, strictId));
    for (int i = 0; i < 6; i++) {
      browser.submit(codeStep, Map.of("code", "00000" + i, "action", "verify"));
    }
    List<String> failures = audit.of(AuditEvent.OTP_FAILED, strictId).stream()
        .map(event -> event.getJsonObject("data").getString("reason")).toList();
    assertEquals(List.of("invalid", "invalid"), failures, "the two wrong codes, then nothing for the burned request");
    assertEquals(1, audit.of(AuditEvent.OTP_BURNED, strictId).size());
  }

  @Test
  @DisplayName("a flow's form posted from another browser finds no flow")
  void flowBoundToBrowser() {
    FormBrowser.Page page = fixture.browser().get(onboarding(CALLBACK, "s"));
    FormBrowser.Page elsewhere = fixture.browser().submit(page, Map.of("identity", "tab@example.com"));
    assertEquals(400, elsewhere.status());
    assertTrue(elsewhere.body().contains("expired"));
    assertTrue(elsewhere.body().contains("<h1>Shop hosted-shop</h1>"), "named after the app to go back to (h87): "
        + elsewhere.body());
  }

  @Test
  @DisplayName("a code holds the user's data only while it may be redeemed: once presented only the user's id is "
      + "kept for reuse detection, and one never presented is gone at its expiry (h94: email and profile for 10 min)")
  void codesKeepNoUserData() {
    FormBrowser.Page done = completeFlow(fixture.browser(), onboarding(CALLBACK, "s"), "kept@example.com");
    String code = query(done.location()).get("auth_code");
    String key = fixture.gateway.redisPrefix() + "authz-code:{" + Tokens.sha256Hex(code) + "}";
    long fresh = fixture.gateway.redis(io.vertx.redis.client.Command.PTTL, key).toLong();
    assertTrue(fresh > 0 && fresh <= AuthCodes.TTL_MS, "an unpresented code lives as long as it is valid: " + fresh);

    ApiResponse exchanged = userinfo(code, "Authorization", HostedFixture.basic(app));
    assertEquals(200, exchanged.status(), exchanged.body());
    JsonObject kept = new JsonObject(fixture.gateway.redis(io.vertx.redis.client.Command.HGET, key, "user").toString());
    assertEquals(new JsonObject().put("id", exchanged.json().getJsonObject("user", exchanged.json())
        .getString("id")), kept, "only the id stays");
    assertTrue(fixture.gateway.redis(io.vertx.redis.client.Command.PTTL, key).toLong() > AuthCodes.TTL_MS,
        "kept as a tombstone");
    assertEquals("invalid_grant", userinfo(code, "Authorization", HostedFixture.basic(app)).error());
  }

  @Test
  @DisplayName("a code used twice is invalid_grant, and the session its first use issued is revoked")
  void codeReuse() throws Exception {
    FormBrowser.Page done = completeFlow(fixture.browser(), onboarding(CALLBACK, "s"), "reuse@example.com");
    String code = query(done.location()).get("auth_code");
    assertEquals(200, userinfo(code, "Authorization", HostedFixture.basic(app)).status());
    ApiResponse again = userinfo(code, "Authorization", HostedFixture.basic(app));
    assertEquals(400, again.status());
    assertEquals("invalid_grant", again.error());
    String userId = null;
    try (var db = fixture.gateway.jdbc();
         ResultSet rows = db.createStatement().executeQuery(
             "SELECT s.revoked_at, u.id FROM sessions s JOIN users u ON u.id = s.user_id "
                 + "WHERE u.email = 'reuse@example.com'")) {
      int sessions = 0;
      while (rows.next()) {
        sessions++;
        assertNotNull(rows.getTimestamp(1), "the session the code issued is revoked");
        userId = rows.getString(2);
      }
      assertEquals(1, sessions);
    }
    assertNotNull(userId);
    String user = userId;
    assertTrue(audit.of(CodeExchange.REUSED, appId).stream().anyMatch(event -> user.equals(event.getString("user_id"))),
        "the reuse names whose code it was: " + audit.of(CodeExchange.REUSED, appId));
  }

  @Test
  @DisplayName("a spent code presented again by someone who could not have redeemed it (no client credentials for a "
      + "code without PKCE, a wrong code_verifier or none for one with) revokes nothing: a code seen in a URL cannot log its "
      + "user out (h22); the client's own second presentation still does")
  void strangersReplayRevokesNothing() throws Exception {
    String email = "replayed@example.com";
    String code = query(completeFlow(fixture.browser(), onboarding(CALLBACK, "s"), email).location()).get("auth_code");
    assertEquals(200, userinfo(code, "Authorization", HostedFixture.basic(app)).status());
    String stranger = "/api/client/" + appId + "/userinfo?code=" + FormBrowser.encode(code) + "&code_verifier="
        + "v".repeat(43);
    assertEquals("invalid_client", fixture.gateway.http().get(stranger).error());
    assertEquals(1, liveSessionsOf(email), "the stranger's replay revoked nothing");

    String verifier = "verifier-" + "r".repeat(50);
    String pkceEmail = "replayed-pkce@example.com";
    String pkce = "/api/client/" + appId + "/userinfo?code=" + FormBrowser.encode(pkceCode(verifier, pkceEmail));
    assertEquals(200, fixture.gateway.http().get(pkce + "&code_verifier=" + verifier).status());
    assertEquals("invalid_grant", fixture.gateway.http().get(pkce + "&code_verifier=" + "w".repeat(43)).error());
    assertEquals(1, liveSessionsOf(pkceEmail), "a wrong verifier revoked nothing");
    // The client's credentials without the verifier cannot redeem a PKCE code, so they report no reuse either (h86).
    assertEquals("invalid_grant", fixture.gateway.http().get(pkce, "Authorization", HostedFixture.basic(app)).error());
    assertEquals(1, liveSessionsOf(pkceEmail), "the client without the verifier revoked nothing");
    assertEquals("invalid_grant", fixture.gateway.http().get(pkce + "&code_verifier=" + verifier).error());
    assertEquals(0, liveSessionsOf(pkceEmail), "the right verifier's second presentation is a reuse");
  }

  private long liveSessionsOf(String email) {
    return fixture.gateway.count("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.app_id = '"
        + appId + "' AND u.email = '" + email + "' AND s.revoked_at IS NULL");
  }

  @Test
  @DisplayName("PKCE: a malformed code_verifier is invalid_request, the right one alone redeems the code")
  void pkce() throws Exception {
    String verifier = "verifier-" + "x".repeat(50);
    String code = pkceCode(verifier, "pkce@example.com");
    String base = "/api/client/" + appId + "/userinfo?code=" + FormBrowser.encode(code);

    assertEquals(401, fixture.gateway.http().get(base).status(), "neither Basic nor a verifier");
    for (String malformed : List.of("short", "x".repeat(129), "has space " + "x".repeat(40), "é".repeat(43))) {
      ApiResponse refused = fixture.gateway.http().get(base + "&code_verifier=" + FormBrowser.encode(malformed));
      assertEquals(400, refused.status(), malformed);
      assertEquals("invalid_request", refused.error(), malformed);
    }
    ApiResponse atTokenEndpoint = fixture.gateway.http().send("POST", "/oidc/" + appId + "/token",
        "grant_type=authorization_code&code=" + FormBrowser.encode(code) + "&redirect_uri=" + FormBrowser.encode(CALLBACK)
            + "&code_verifier=" + verifier,
        "Content-Type", "application/x-www-form-urlencoded", "Authorization", HostedFixture.basic(app));
    assertEquals(400, atTokenEndpoint.status(), atTokenEndpoint.body());
    assertEquals("invalid_grant", atTokenEndpoint.json().getString("error"), "an onboarding code is no OIDC code");
    ApiResponse right = fixture.gateway.http().get(base + "&code_verifier=" + verifier);
    assertEquals(200, right.status(), right.toString());
    assertEquals("pkce@example.com", right.json().getJsonObject("user").getString("email"));
  }

  @Test
  @DisplayName("PKCE: a wrong code_verifier, or none with Basic, is invalid_grant and spends the code: no guessing")
  void wrongVerifierSpendsTheCode() throws Exception {
    String verifier = "verifier-" + "z".repeat(50);
    String wrongFirst = "/api/client/" + appId + "/userinfo?code="
        + FormBrowser.encode(pkceCode(verifier, "pkce-guessed@example.com"));
    ApiResponse wrong = fixture.gateway.http().get(wrongFirst + "&code_verifier=wrong-" + "y".repeat(50));
    assertEquals(400, wrong.status());
    assertEquals("invalid_grant", wrong.error());
    ApiResponse right = fixture.gateway.http().get(wrongFirst + "&code_verifier=" + verifier);
    assertEquals(400, right.status(), right.body());
    assertEquals("invalid_grant", right.error(), "the code was spent by the wrong verifier");

    String basicFirst = "/api/client/" + appId + "/userinfo?code="
        + FormBrowser.encode(pkceCode(verifier, "pkce-basic@example.com"));
    ApiResponse basicOnly = fixture.gateway.http().get(basicFirst, "Authorization", HostedFixture.basic(app));
    assertEquals("invalid_grant", basicOnly.error(), "a PKCE code also needs its verifier");
    assertEquals("invalid_grant", fixture.gateway.http().get(basicFirst + "&code_verifier=" + verifier).error());
  }

  @Test
  @DisplayName("PKCE: a code_verifier for a code issued without a code_challenge is invalid_grant and spends the code "
      + "(RFC 9700 2.1.1; h79: the client that counts on PKCE redeemed an attacker's code)")
  void verifierForACodeWithoutChallenge() throws Exception {
    String code = query(completeFlow(fixture.browser(), onboarding(CALLBACK, "attacker"), "pkce-downgrade@example.com")
        .location()).get("auth_code");
    String withVerifier = "/api/client/" + appId + "/userinfo?code=" + FormBrowser.encode(code) + "&code_verifier="
        + "v".repeat(50);
    ApiResponse refused = fixture.gateway.http().get(withVerifier, "Authorization", HostedFixture.basic(app));
    assertEquals(400, refused.status(), refused.body());
    assertEquals("invalid_grant", refused.error());
    assertEquals("invalid_grant", userinfo(code, "Authorization", HostedFixture.basic(app)).error(), "spent");

    // An empty code_verifier= (a templated URL) is no verifier: the Basic client redeems its code (h83).
    String other = query(completeFlow(fixture.browser(), onboarding(CALLBACK, "templated"), "pkce-empty@example.com")
        .location()).get("auth_code");
    ApiResponse empty = fixture.gateway.http().get("/api/client/" + appId + "/userinfo?code="
        + FormBrowser.encode(other) + "&code_verifier=", "Authorization", HostedFixture.basic(app));
    assertEquals(200, empty.status(), empty.body());
  }

  /** The code of a PKCE onboarding flow of {@code email}. */
  @Test
  @DisplayName("PKCE: a browser at a callback URL's origin may read the redemption's answer, success or error (CORS); "
      + "another origin, or a request with the app secret, gets no Access-Control-Allow-Origin")
  void pkceFromTheCallbackOrigin() throws Exception {
    String verifier = "verifier-cors-" + "c".repeat(40);
    String origin = "https://shop.example.com";
    String base = "/api/client/" + appId + "/userinfo?code=";
    ApiResponse stranger = fixture.gateway.http().get(base + "unknown&code_verifier=" + verifier,
        "Origin", "https://evil.example.net");
    assertEquals(400, stranger.status(), stranger.body());
    assertNull(stranger.header("Access-Control-Allow-Origin"), "not a callback origin");
    ApiResponse withSecret = fixture.gateway.http().get(base + "unknown", "Origin", origin,
        "Authorization", HostedFixture.basic(app));
    assertNull(withSecret.header("Access-Control-Allow-Origin"), "a secret has no place in a browser");
    ApiResponse refused = fixture.gateway.http().get(base + "unknown&code_verifier=" + verifier, "Origin", origin);
    assertEquals("invalid_grant", refused.error(), refused.body());
    assertEquals(origin, refused.header("Access-Control-Allow-Origin"), "the error is readable too");
    ApiResponse malformed = fixture.gateway.http().get(base + "unknown&code_verifier=short", "Origin", origin);
    assertEquals("invalid_request", malformed.error(), malformed.body());
    assertEquals(origin, malformed.header("Access-Control-Allow-Origin"), "a refusal before the exchange too (h66)");
    String code = pkceCode(verifier, "pkce-cors@example.com");
    ApiResponse redeemed = fixture.gateway.http().get(base + FormBrowser.encode(code) + "&code_verifier=" + verifier,
        "Origin", origin);
    assertEquals(200, redeemed.status(), redeemed.body());
    assertEquals(origin, redeemed.header("Access-Control-Allow-Origin"));
    assertEquals("Origin", redeemed.header("Vary"));
  }

  private String pkceCode(String verifier, String email) throws Exception {
    String challenge = Base64.getUrlEncoder().withoutPadding()
        .encodeToString(MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    String start = "/onboarding/" + appId + "?callback_url=" + FormBrowser.encode(CALLBACK) + "&code_challenge="
        + challenge + "&code_challenge_method=S256";
    FormBrowser.Page done = completeFlow(fixture.browser(), start, email);
    Map<String, String> params = query(done.location());
    assertNull(params.get("state"));
    return params.get("auth_code");
  }

  @Test
  @DisplayName("a code_challenge without code_challenge_method=S256 is refused")
  void plainChallengeRefused() {
    String start = "/onboarding/" + appId + "?callback_url=" + FormBrowser.encode(CALLBACK) + "&code_challenge="
        + "a".repeat(43) + "&code_challenge_method=plain";
    assertEquals(400, fixture.browser().get(start).status());
  }

  @Test
  @DisplayName("a code of one app cannot be redeemed by another app")
  void codeBoundToApp() {
    JsonObject other = fixture.app("hosted-other", List.of(CALLBACK), new JsonObject());
    FormBrowser.Page done = completeFlow(fixture.browser(), onboarding(CALLBACK, "s"), "bound@example.com");
    String code = query(done.location()).get("auth_code");
    ApiResponse foreign = fixture.gateway.http().get("/api/client/" + other.getString("app_id") + "/userinfo?code="
        + FormBrowser.encode(code), "Authorization", HostedFixture.basic(other));
    assertEquals("invalid_grant", foreign.error());
    ApiResponse mismatched = userinfo(code, "Authorization", HostedFixture.basic(other));
    assertEquals(401, mismatched.status(), "credentials of another app than the path's");
    assertEquals(200, userinfo(code, "Authorization", HostedFixture.basic(app)).status());
  }

  @Test
  @DisplayName("a wrong code keeps the user on the code step with the attempts left")
  void wrongCode() {
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get(onboarding(CALLBACK, "s"));
    FormBrowser.Page codeStep = fixture.toCodeStep(browser, page, "wrong@example.com");
    FormBrowser.Page again = browser.submit(codeStep, Map.of("code", "000000", "action", "verify"));
    assertTrue(again.body().contains("attempts left") || again.body().contains("not right"), again.body());
    assertTrue(again.body().contains("name=\"code\""));
  }

  @Test
  @DisplayName("a phone number is refused without hosted_sms and gets an SMS code with it")
  void smsOnlyWithHostedSms() {
    String phone = "+6289123456678";
    FormBrowser browser = fixture.browser();
    FormBrowser.Page refused = browser.submit(browser.get(onboarding(CALLBACK, "s")), Map.of("identity", phone));
    assertEquals(400, refused.status());
    assertTrue(refused.body().contains("valid email address"), refused.body());
    assertTrue(fixture.receiver.calls().stream().noneMatch(call -> phone.equals(call.json().getString("to"))));
    // An internationalised domain is told its rule, not that the address is invalid (h87).
    FormBrowser.Page unicode = browser.submit(browser.get(onboarding(CALLBACK, "s")), Map.of("identity",
        "user@bücher.de"));
    assertEquals(400, unicode.status());
    assertTrue(unicode.body().contains("in its ASCII form (xn--"), unicode.body());
    // Not where the ASCII form would not help (h98).
    for (String other : List.of("ü@bücher.de", "a@b@bücher.de", "kim@bü cher.de", "kim@ü")) {
      FormBrowser.Page page = browser.submit(browser.get(onboarding(CALLBACK, "s")), Map.of("identity", other));
      assertFalse(page.body().contains("xn--"), other + ": " + page.body());
    }

    JsonObject sms = fixture.app("hosted-sms", List.of(CALLBACK), new JsonObject().put("hosted_sms", true));
    FormBrowser.Page start = browser.get("/onboarding/" + sms.getString("app_id") + "?state=s&callback_url="
        + FormBrowser.encode(CALLBACK));
    assertTrue(start.body().contains("aria-describedby=\"identity-hint\"") && start.body().contains("id=\"identity-hint\""),
        "the phone hint is read with the field (h87): " + start.body());
    FormBrowser.Page sent = fixture.toCodeStep(browser, start, "+62-89123456678");
    assertEquals(200, sent.status(), sent.toString());
    dev.portcullis.testing.Await.until("an SMS to " + phone, java.time.Duration.ofSeconds(10),
        () -> fixture.receiver.calls().stream().anyMatch(call -> phone.equals(call.json().getString("to"))
            && "sms".equals(call.json().getString("channel"))));
  }

  @Test
  @DisplayName("the hosted pages spend at most half of the app's SMS budget for a country: strangers sending codes "
      + "to numbers they chose leave the other half to the app's own backend")
  void hostedSmsSpendsHalfTheBudget() {
    JsonObject app = fixture.app("hosted-sms-budget", List.of(CALLBACK), new JsonObject().put("hosted_sms", true)
        .put("hosted_password", false).put("sms_max_sends_per_hour_per_country", 4));
    int sent = 0;
    for (int i = 0; i < 4; i++) {
      FormBrowser.Page page = hostedIdentity(app, "+1415555010" + i);
      if (page.body().contains("name=\"code\"")) {
        sent++;
      } else {
        assertTrue(page.body().contains("cannot be sent from this page"), page.toString());
      }
    }
    assertEquals(2, sent, "half of a budget of 4");
    ApiResponse backend = fixture.gateway.http().post("/auth/send-otp", new JsonObject()
        .put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"))
        .put("phone", "+14155550199"));
    assertEquals(200, backend.status(), backend.body());
  }

  @Test
  @DisplayName("the hosted pages' SMS share slides over the hour as the budget it is half of: sends 59 minutes old "
      + "still count, 61 minutes old no longer (h58: a fixed window let strangers take a share at its end and another "
      + "at the next one's start, the whole budget in one sliding hour)")
  void hostedSmsShareSlides() {
    JsonObject app = fixture.app("hosted-sms-slides", List.of(CALLBACK), new JsonObject().put("hosted_sms", true)
        .put("hosted_password", false).put("sms_max_sends_per_hour_per_country", 4));
    for (int i = 0; i < 2; i++) {
      assertTrue(hostedIdentity(app, "+1415555030" + i).body().contains("name=\"code\""), "sent " + i);
    }
    assertTrue(hostedIdentity(app, "+14155550302").body().contains("cannot be sent from this page"));

    ageHostedShare(app.getString("app_id"), 59);
    assertTrue(hostedIdentity(app, "+14155550303").body().contains("cannot be sent from this page"),
        "the two sends 59 minutes ago are in the hour");
    ageHostedShare(app.getString("app_id"), 2);
    assertTrue(hostedIdentity(app, "+14155550304").body().contains("name=\"code\""),
        "61 minutes ago they left it");
  }

  /** Moves every count of the app's hosted SMS share {@code minutes} into the past, as time passing would. */
  private static void ageHostedShare(String appId, int minutes) {
    String pattern = fixture.gateway.redisPrefix() + "hosted-sms-hour:{" + appId + "}*";
    io.vertx.redis.client.Response keys = fixture.gateway.redis(io.vertx.redis.client.Command.KEYS, pattern);
    assertTrue(keys.size() > 0, "the share's counters: " + pattern);
    for (io.vertx.redis.client.Response key : keys) {
      io.vertx.redis.client.Response buckets = fixture.gateway.redis(io.vertx.redis.client.Command.HGETALL,
          key.toString());
      for (String bucket : buckets.getKeys()) {
        long count = buckets.get(bucket).toLong();
        fixture.gateway.redis(io.vertx.redis.client.Command.HDEL, key.toString(), bucket);
        fixture.gateway.redis(io.vertx.redis.client.Command.HINCRBY, key.toString(),
            Long.toString(Long.parseLong(bucket) - minutes), Long.toString(count));
      }
    }
  }

  @Test
  @DisplayName("only codes sent count against the hosted pages' SMS share: numbers of a country the app does not serve, "
      + "refused, leave it whole (counted, a stranger's refused tries closed the pages' SMS for everyone)")
  void refusedSmsTriesCountNothing() {
    JsonObject app = fixture.app("hosted-sms-refused", List.of(CALLBACK), new JsonObject().put("hosted_sms", true)
        .put("hosted_password", false).put("sms_allowed_countries", new io.vertx.core.json.JsonArray().add("US"))
        .put("sms_max_sends_per_hour", 4));
    for (int i = 0; i < 3; i++) {
      FormBrowser.Page refused = hostedIdentity(app, "+4479460000" + (10 + i));
      assertFalse(refused.body().contains("name=\"code\""), refused.toString());
      assertFalse(refused.body().contains("cannot be sent from this page"), refused.toString());
    }
    FormBrowser.Page sent = hostedIdentity(app, "+14155550142");
    assertTrue(sent.body().contains("name=\"code\""), sent.toString());
  }

  @Test
  @DisplayName("a hosted SMS send answered 503 keeps its place in the pages' share: the page cannot know the code did "
      + "not go out (h60: a send the page stopped waiting for gave its place back, and was sent)")
  void unavailableSendKeepsItsPlace() throws Exception {
    JsonObject app = fixture.app("hosted-sms-503", List.of(CALLBACK), new JsonObject().put("hosted_sms", true)
        .put("hosted_password", false).put("sms_max_sends_per_hour_per_country", 4));
    String appId = app.getString("app_id");
    FormBrowser browser = fixture.browser();
    FormBrowser.Page identity = browser.get("/onboarding/" + appId + "?state=u&callback_url="
        + FormBrowser.encode(CALLBACK));
    dev.portcullis.testing.Await.until("the app's chain head", java.time.Duration.ofSeconds(10),
        () -> fixture.gateway.count("SELECT count(*) FROM audit_chain_heads WHERE app_id = '" + appId + "'") == 1);
    try (java.sql.Connection holder = fixture.gateway.jdbc();
         java.sql.PreparedStatement lock = holder.prepareStatement(
             "SELECT seq FROM audit_chain_heads WHERE app_id = ?::uuid FOR UPDATE")) {
      holder.setAutoCommit(false);
      lock.setString(1, appId);
      lock.execute();
      FormBrowser.Page unavailable = browser.submit(identity, Map.of("identity", "+14155550401"));
      assertEquals(503, unavailable.status(), unavailable.toString());
      holder.commit();
    }
    assertTrue(hostedIdentity(app, "+14155550402").body().contains("name=\"code\""), "the share's second place");
    assertTrue(hostedIdentity(app, "+14155550403").body().contains("cannot be sent from this page"),
        "the 503's place is still taken");
  }

  @Test
  @DisplayName("a burst of hosted SMS sends at once takes the hosted share and no more (read, then counted after the "
      + "send, every send of a burst passed the same count)")
  void hostedSmsBurstKeepsToTheShare() throws Exception {
    JsonObject app = fixture.app("hosted-sms-burst", List.of(CALLBACK), new JsonObject().put("hosted_sms", true)
        .put("hosted_password", false).put("sms_max_sends_per_hour_per_country", 4));
    java.util.concurrent.ExecutorService browsers = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<FormBrowser.Page>> pages = new java.util.ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String phone = "+1415555020" + i;
        pages.add(browsers.submit(() -> hostedIdentity(app, phone)));
      }
      int sent = 0;
      for (java.util.concurrent.Future<FormBrowser.Page> page : pages) {
        if (page.get(30, java.util.concurrent.TimeUnit.SECONDS).body().contains("name=\"code\"")) {
          sent++;
        }
      }
      assertEquals(2, sent, "half of a budget of 4, however many ask at once");
    } finally {
      browsers.shutdownNow();
    }
  }

  /** A new browser's flow of the app, at its identity step given {@code identity}: the page that answers. */
  private static FormBrowser.Page hostedIdentity(JsonObject app, String identity) {
    FormBrowser browser = fixture.browser();
    return browser.submit(browser.get("/onboarding/" + app.getString("app_id") + "?state=b&callback_url="
        + FormBrowser.encode(CALLBACK)), Map.of("identity", identity));
  }

  private static final String SECOND_CALLBACK = "https://second.example.com/cb";

  /** A browser at the profile step of a flow to an app's second callback URL. */
  private record SignedInElsewhere(JsonObject app, FormBrowser browser, FormBrowser.Page profile) {
    String appId() {
      return app.getString("app_id");
    }
  }

  private static SignedInElsewhere signedInAtASecondCallback(String slug, String email) {
    JsonObject app = fixture.app(slug, List.of(CALLBACK, SECOND_CALLBACK),
        new JsonObject().put("profile_fields", new io.vertx.core.json.JsonArray(List.of("name"))));
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get("/onboarding/" + app.getString("app_id") + "?state=second&callback_url="
        + FormBrowser.encode(SECOND_CALLBACK));
    return new SignedInElsewhere(app, browser, fixture.signIn(browser, page, email));
  }

  private static void removeSecondCallback(String appId) {
    ApiResponse patched = fixture.gateway.http().send("PATCH", "/v1/apps/" + appId,
        new JsonObject().put("callback_urls", new io.vertx.core.json.JsonArray(List.of(CALLBACK))).encode(),
        "Content-Type", "application/json", "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY);
    assertEquals(200, patched.status(), patched.toString());
  }

  @Test
  @DisplayName("a callback URL removed while a flow runs gets no code: the flow ends on an error page")
  void callbackRemovedMidFlow() {
    SignedInElsewhere flow = signedInAtASecondCallback("hosted-changing", "removed-callback@example.com");
    removeSecondCallback(flow.appId());
    FormBrowser.Page done = flow.browser().submit(flow.profile(), Map.of("name", "Kim Lee", "action", "profile"));
    assertEquals(400, done.status(), done.toString());
    assertNull(done.location(), "no redirect to the removed URL");
    assertTrue(done.body().contains("cannot go on"), done.body());
    assertEquals(1, done.body().split("Go back to the app", -1).length - 1, "said once: " + done.body());
  }

  @Test
  @DisplayName("a code whose callback URL was removed after it was issued is invalid_grant at the exchange")
  void callbackRemovedAfterTheCode() {
    SignedInElsewhere flow = signedInAtASecondCallback("hosted-code-orphan", "orphan-code@example.com");
    FormBrowser.Page done = flow.browser().submit(flow.profile(), Map.of("name", "Kim Lee", "action", "profile"));
    assertEquals(302, done.status(), done.toString());
    String code = query(done.location()).get("auth_code");
    removeSecondCallback(flow.appId());
    ApiResponse exchanged = fixture.gateway.http().get("/api/client/" + flow.appId() + "/userinfo?code="
        + FormBrowser.encode(code), "Authorization", HostedFixture.basic(flow.app()));
    assertEquals(400, exchanged.status(), exchanged.body());
    assertEquals("invalid_grant", exchanged.error());
  }

  @Test
  @DisplayName("a code a password sign-in made is invalid_grant once the password changed, and leaves no live session")
  void passwordChangedBeforeTheExchange() throws Exception {
    // A change or reset elsewhere stores another password (and revokes the sessions then live: none yet).
    Exchanged after = exchangedAfterStoring("hosted-password-changed", "Another-Horse-Battery-7", true);
    assertEquals(400, after.answer().status(), after.answer().body());
    assertEquals("invalid_grant", after.answer().error());
    assertEquals(0, liveSessions(after.appId()));
  }

  @Test
  @DisplayName("a code a password sign-in made still opens a session after another login rehashed the same password "
      + "(compared with the hash, the rehash read as a changed password and refused the code)")
  void passwordRehashedBeforeTheExchange() throws Exception {
    // What a login under other Argon2id settings stores: another hash of the same password.
    Exchanged after = exchangedAfterStoring("hosted-password-rehashed", "Correct-Horse-Battery-9", false);
    assertEquals(200, after.answer().status(), after.answer().body());
    assertEquals(1, liveSessions(after.appId()));
  }

  private record Exchanged(String appId, ApiResponse answer) {
  }

  /**
   * A password sign-in's code, exchanged after a hash of {@code password} was stored for its user: as a change or
   * reset stores it ({@code changed}), or as another login's rehash does.
   */
  private static Exchanged exchangedAfterStoring(String slug, String password, boolean changed) throws Exception {
    String email = slug + "@example.com";
    AtPassword at = atPasswordStep(slug, email, "st");
    FormBrowser.Page done = at.browser().submit(at.page(), Map.of("password", "Correct-Horse-Battery-9",
        "action", "password"));
    assertEquals(302, done.status(), done.toString());
    String appId = at.app().getString("app_id");
    try (var db = fixture.gateway.jdbc(); var store = db.prepareStatement("UPDATE users SET password_hash = ?, "
        + "password_generation = password_generation + ? WHERE app_id = ?::uuid AND email = ?")) {
      store.setString(1, new dev.portcullis.password.Argon2id(1024, 1, 1).hash(password));
      store.setInt(2, changed ? 1 : 0);
      store.setString(3, appId);
      store.setString(4, email);
      assertEquals(1, store.executeUpdate());
    }
    return new Exchanged(appId, fixture.gateway.http().get("/api/client/" + appId + "/userinfo?code="
        + FormBrowser.encode(query(done.location()).get("auth_code")), "Authorization", HostedFixture.basic(at.app())));
  }

  private static long liveSessions(String appId) {
    return fixture.gateway.count("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
        + "WHERE u.app_id = '" + appId + "' AND s.revoked_at IS NULL");
  }

  /** A browser at the password step of a new app's flow, for a user the operator made with a password. */
  private record AtPassword(JsonObject app, FormBrowser browser, FormBrowser.Page page) {
  }

  private static AtPassword atPasswordStep(String slug, String email, String state) {
    JsonObject pwApp = fixture.app(slug, List.of(CALLBACK), new JsonObject().put("require_verified_identity", false));
    String pwAppId = pwApp.getString("app_id");
    ApiResponse created = fixture.gateway.http().post("/v1/apps/" + pwAppId + "/users", new JsonObject()
        .put("email", email).put("password", "Correct-Horse-Battery-9"),
        "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY);
    assertEquals(201, created.status(), created.toString());
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get("/onboarding/" + pwAppId + "?state=" + state + "&callback_url="
        + FormBrowser.encode(CALLBACK));
    FormBrowser.Page passwordStep = browser.submit(page, Map.of("identity", email));
    assertTrue(passwordStep.body().contains("name=\"password\""), passwordStep.toString());
    return new AtPassword(pwApp, browser, passwordStep);
  }

  @Test
  @DisplayName("a user with a password signs in with it (a wrong one is refused and may be tried again)")
  void passwordSignIn() {
    AtPassword at = atPasswordStep("hosted-password", "pat@example.com", "pw");
    JsonObject pwApp = at.app();
    String pwAppId = pwApp.getString("app_id");
    FormBrowser browser = at.browser();
    FormBrowser.Page passwordStep = at.page();
    assertTrue(passwordStep.body().contains("Send me a code instead"));
    assertTrue(passwordStep.body().contains("<label for=\"password\">"));

    FormBrowser.Page wrong = browser.submit(passwordStep, Map.of("password", "not-the-password", "action", "password"));
    assertEquals(400, wrong.status(), wrong.toString());
    assertTrue(wrong.body().contains("not right"), wrong.body());
    assertTrue(wrong.body().contains("name=\"password\""), "the password step again, with a fresh challenge");
    // A failure raises the difficulty: the form then asks for the proof of work the page's script computes.
    FormBrowser.Page done = browser.submit(wrong, Map.of("password", "Correct-Horse-Battery-9", "action", "password",
        "pow_solution", wrong.powSolution()));
    assertEquals(302, done.status(), done.toString());
    Map<String, String> params = query(done.location());
    assertEquals("pw", params.get("state"));
    ApiResponse info = fixture.gateway.http().get("/api/client/" + pwAppId + "/userinfo?code="
        + FormBrowser.encode(params.get("auth_code")), "Authorization", HostedFixture.basic(pwApp));
    assertEquals(200, info.status(), info.toString());
    assertEquals("pat@example.com", info.json().getJsonObject("user").getString("email"));
  }

  @Test
  @DisplayName("a flow at its password step when the app turns hosted_password off takes no password: it sends a code "
      + "instead (h75: the right password still signed in)")
  void passwordTurnedOffMidFlow() {
    AtPassword at = atPasswordStep("hosted-password-off", "pia@example.com", "off");
    String appId = at.app().getString("app_id");
    ApiResponse patched = fixture.gateway.http().send("PATCH", "/v1/apps/" + appId,
        new JsonObject().put("settings", new JsonObject().put("hosted_password", false)).encode(),
        "Content-Type", "application/json", "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY);
    assertEquals(200, patched.status(), patched.toString());
    int before = fixture.codesSentTo("pia@example.com");
    FormBrowser.Page answer = at.browser().submit(at.page(), Map.of("password", "Correct-Horse-Battery-9",
        "action", "password"));
    assertNull(answer.location(), "no redirect with a code: " + answer);
    assertTrue(answer.body().contains("name=\"code\""), answer.body());
    dev.portcullis.testing.Await.until("a code sent instead", java.time.Duration.ofSeconds(5),
        () -> fixture.codesSentTo("pia@example.com") == before + 1);
  }

  @Test
  @DisplayName("asking for a new code within the resend cooldown says when one can be sent, not 'too many attempts'")
  void resendTooSoon() {
    FormBrowser browser = fixture.browser();
    FormBrowser.Page codeStep = fixture.toCodeStep(browser, browser.get(onboarding(CALLBACK, "rs")), "resend@example.com");
    FormBrowser.Page again = browser.submit(codeStep, Map.of("action", "resend"));
    assertTrue(again.body().contains("We sent a code moments ago. You can ask for a new one in"), again.body());
    assertTrue(!again.body().contains("Too many attempts"), again.body());
  }

  @Test
  @DisplayName("a code typed in full-width digits (a phone's keyboard in another script) is read as the code")
  void fullWidthCode() {
    FormBrowser browser = fixture.browser();
    String email = "fullwidth@example.com";
    int before = fixture.codesSentTo(email);
    FormBrowser.Page codeStep = fixture.toCodeStep(browser, browser.get(onboarding(CALLBACK, "fw")), email);
    StringBuilder typed = new StringBuilder();
    fixture.code(email, before).chars().forEach(c -> typed.append((char) (c - '0' + '\uFF10')));
    FormBrowser.Page next = browser.submit(codeStep, Map.of("code", typed.toString(), "action", "verify"));
    assertEquals(200, next.status(), next.toString());
    assertTrue(next.body().contains("name=\"name\""), "signed in, at the profile step: " + next.body());
  }

  @Test
  @DisplayName("a password step whose challenge lapsed (the page stayed open) says so, and the next try signs in")
  void lapsedChallenge() {
    AtPassword at = atPasswordStep("hosted-lapse", "lapse@example.com", "l");
    String lapseAppId = at.app().getString("app_id");
    FormBrowser browser = at.browser();
    FormBrowser.Page passwordStep = at.page();
    // What 120 s of an open page do: the page's challenge is gone.
    String pattern = fixture.gateway.redisPrefix() + "pw-challenge:{" + lapseAppId + "}:*";
    io.vertx.redis.client.Response keys = fixture.gateway.redis(io.vertx.redis.client.Command.KEYS, pattern);
    assertEquals(1, keys.size(), "the page's one challenge");
    fixture.gateway.redis(io.vertx.redis.client.Command.DEL, keys.get(0).toString());

    FormBrowser.Page lapsed = browser.submit(passwordStep, Map.of("password", "Correct-Horse-Battery-9",
        "action", "password"));
    assertEquals(400, lapsed.status(), lapsed.toString());
    assertTrue(lapsed.body().contains("open too long"), lapsed.body());
    FormBrowser.Page done = browser.submit(lapsed, Map.of("password", "Correct-Horse-Battery-9", "action", "password",
        "pow_solution", lapsed.powSolution()));
    assertEquals(302, done.status(), done.toString());
  }

  @Test
  @DisplayName("at a password step with a difficulty, a code by SMS needs the proof of work too (no script: email only)")
  void smsCodeNeedsTheWork() {
    JsonObject smsApp = fixture.app("hosted-sms-work", List.of(CALLBACK),
        new JsonObject().put("hosted_sms", true).put("require_verified_identity", false));
    String smsAppId = smsApp.getString("app_id");
    String phone = "+6281234500077";
    ApiResponse created = fixture.gateway.http().post("/v1/apps/" + smsAppId + "/users", new JsonObject()
        .put("phone", phone).put("password", "Correct-Horse-Battery-9"),
        "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY);
    assertEquals(201, created.status(), created.toString());
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get("/onboarding/" + smsAppId + "?state=sms&callback_url=" + FormBrowser.encode(CALLBACK));
    FormBrowser.Page passwordStep = browser.submit(page, Map.of("identity", phone));
    FormBrowser.Page wrong = browser.submit(passwordStep, Map.of("password", "not-the-password", "action", "password"));
    assertTrue(wrong.body().contains("data-pow-difficulty=\"") && !wrong.body().contains("data-pow-difficulty=\"0\""),
        "a failure raised the difficulty: " + wrong.body());

    long smsBefore = fixture.receiver.calls().stream().filter(call -> phone.equals(call.json().getString("to"))).count();
    FormBrowser.Page refused = browser.submit(wrong, Map.of("action", "send_code"));
    assertEquals(400, refused.status(), refused.toString());
    assertTrue(refused.body().contains("needs JavaScript"), refused.body());
    double passedBefore = passedPasswordSteps();
    FormBrowser.Page codeStep = browser.submit(refused, Map.of("action", "send_code", "pow_solution", refused.powSolution()));
    assertEquals(200, codeStep.status(), codeStep.toString());
    assertEquals(passedBefore + 1, passedPasswordSteps(), "leaving for a code passes the password step");
    assertTrue(codeStep.body().contains("name=\"code\""), codeStep.body());
    dev.portcullis.testing.Await.until("the SMS", java.time.Duration.ofSeconds(10), () -> fixture.receiver.calls().stream()
        .filter(call -> phone.equals(call.json().getString("to"))).count() == smsBefore + 1);
  }

  private static double passedPasswordSteps() {
    return fixture.gateway.management().get("/metrics").body().lines()
        .filter(line -> line.startsWith("portcullis_hosted_steps_total{") && line.contains("event=\"passed\"")
            && line.contains("kind=\"autz\"") && line.contains("step=\"password\""))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }
}
