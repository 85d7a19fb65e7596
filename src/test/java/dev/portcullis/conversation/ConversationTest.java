package dev.portcullis.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.hosted.FormBrowser;
import dev.portcullis.hosted.HostedFixture;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Conversations (Authologic-compatible), over plain HTTP")
class ConversationTest {

  private static final String RETURN = "https://shop.example.com/return";
  private static final String AUTHOLOGIC = "application/vnd.authologic.v1.1+json";

  private static HostedFixture fixture;
  private static JsonObject app;

  @BeforeAll
  static void start() {
    fixture = new HostedFixture();
    app = fixture.app("convo-shop", List.of(RETURN + "?from=portcullis"), new JsonObject().put("otp_resend_cooldown", 0));
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  private static ApiResponse create(JsonObject body, String mediaType) {
    return fixture.gateway.http().send("POST", "/api/conversations", body.encode(), "Content-Type", mediaType,
        "Accept", mediaType, "Authorization", HostedFixture.basic(app));
  }

  private static JsonObject created(JsonObject query) {
    ApiResponse response = create(new JsonObject().put("userKey", "uk-1")
        .put("returnUrl", RETURN + "?conversation={conversationId}").put("query", query), AUTHOLOGIC);
    assertEquals(201, response.status(), response.toString());
    return response.json();
  }

  private static JsonObject read(String id) {
    return read(id, app);
  }

  private static JsonObject read(String id, JsonObject app) {
    ApiResponse response = fixture.gateway.http().get("/api/conversations/" + id, "Accept", "application/json",
        "Authorization", HostedFixture.basic(app));
    assertEquals(200, response.status(), response.toString());
    return response.json();
  }

  /** The url's path on this test's gateway (the url itself names PORTCULLIS_ISSUER's host and port). */
  private static String path(JsonObject conversation) {
    String url = conversation.getString("url");
    assertTrue(url.startsWith(fixture.gateway.config().issuer()), url);
    return java.net.URI.create(url).getPath();
  }

  @Test
  @DisplayName("the link of a conversation whose app was deleted answers as an unknown link (404) and binds nothing")
  void deletedAppsLink() {
    JsonObject doomed = fixture.app("convo-deleted", List.of(RETURN + "?from=portcullis"), new JsonObject());
    ApiResponse made = fixture.gateway.http().send("POST", "/api/conversations", new JsonObject().put("userKey", "uk-9")
            .put("returnUrl", RETURN + "?conversation={conversationId}").put("query", registration()).encode(),
        "Content-Type", AUTHOLOGIC, "Accept", AUTHOLOGIC, "Authorization", HostedFixture.basic(doomed));
    assertEquals(201, made.status(), made.toString());
    String appId = doomed.getString("app_id");
    assertEquals(200, fixture.gateway.http().delete("/v1/apps/" + appId,
        "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY).status());
    FormBrowser.Page page = fixture.browser().get(path(made.json()));
    assertEquals(404, page.status(), page.toString());
    assertTrue(page.body().contains("This sign-in link is not valid."), page.body());
    assertEquals(0, fixture.gateway.count("SELECT count(*) FROM conversations WHERE app_id = '" + appId
        + "' AND (status <> 'CREATED' OR browser_hash IS NOT NULL)"));
  }

  private static JsonObject registration() {
    return new JsonObject()
        .put("identity", new JsonObject().put("requireOneOf", new JsonArray()
            .add(new JsonArray().add("PERSON_NAME_FIRSTNAME").add("PERSON_NAME_LASTNAME").add("EMAIL"))))
        .put("auth", new JsonObject());
  }

  private static JsonObject emailOnly() {
    return new JsonObject().put("requireOneOf", new JsonArray().add(new JsonArray().add("EMAIL")));
  }

  /** Opens the url, signs in with the email's code, answers the name fields; the final redirect. */
  private static FormBrowser.Page register(FormBrowser browser, JsonObject conversation, String email) {
    FormBrowser.Page page = browser.get(path(conversation));
    assertEquals(200, page.status(), page.toString());
    FormBrowser.Page fields = fixture.signIn(browser, page, email);
    assertTrue(fields.body().contains("name=\"PERSON_NAME_FIRSTNAME\""), fields.toString());
    return browser.submit(fields, Map.of("PERSON_NAME_FIRSTNAME", "Kim", "PERSON_NAME_LASTNAME", "Lee",
        "action", "profile"));
  }

  @Test
  @DisplayName("a registration yields a token and a challenge, and an authentication by that challenge the same pair")
  void registerThenAuthenticate() {
    JsonObject conversation = created(registration());
    assertEquals("CREATED", conversation.getString("status"));
    assertEquals("uk-1", conversation.getString("userKey"));
    String id = conversation.getString("id");

    FormBrowser.Page back = register(fixture.browser(), conversation, "reg@example.com");
    assertEquals(302, back.status(), back.toString());
    assertEquals(RETURN + "?conversation=" + id, back.location());

    JsonObject result = read(id);
    assertEquals("FINISHED", result.getString("status"));
    JsonObject identity = result.getJsonObject("result").getJsonObject("identity");
    assertEquals(new JsonObject().put("PERSON_NAME_FIRSTNAME", "Kim").put("PERSON_NAME_LASTNAME", "Lee")
        .put("EMAIL", "reg@example.com"), identity);
    JsonObject auth = result.getJsonObject("result").getJsonObject("auth");
    assertEquals("FINISHED", auth.getString("status"));
    UUID token = UUID.fromString(auth.getString("token"));
    String challenge = auth.getString("challenge");

    JsonObject login = created(new JsonObject().put("auth", new JsonObject().put("challenge", challenge)));
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get(path(login));
    assertTrue(page.body().contains("r***@example.com"), "the code goes to the challenged user, shown masked");
    int before = fixture.codesSentTo("reg@example.com");
    FormBrowser.Page codeStep = browser.submit(page, Map.of("action", "send_code"));
    FormBrowser.Page done = browser.submit(codeStep, Map.of("code", fixture.code("reg@example.com", before),
        "action", "verify"));
    assertEquals(302, done.status(), done.toString());
    JsonObject again = read(login.getString("id")).getJsonObject("result").getJsonObject("auth");
    assertEquals("FINISHED", again.getString("status"));
    assertEquals(token.toString(), again.getString("token"));
    assertEquals(challenge, again.getString("challenge"));
  }

  @Test
  @DisplayName("a right password for an email nobody proved (a user the backend made, on an app without "
      + "require_verified_identity) is followed by a code to it: the result's EMAIL is a proven one (probe h45)")
  void passwordOfAnUnprovenEmailAsksForItsCode() {
    JsonObject open = fixture.app("convo-unproven", List.of(RETURN + "?from=portcullis"),
        new JsonObject().put("require_verified_identity", false));
    String openId = open.getString("app_id");
    String email = "unproven@example.com";
    ApiResponse made = fixture.gateway.http().post("/v1/apps/" + openId + "/users", new JsonObject()
        .put("email", email).put("password", "Correct-Horse-Battery-9"),
        "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY);
    assertEquals(false, made.json().getBoolean("email_verified"), made.toString());
    ApiResponse conversation = fixture.gateway.http().send("POST", "/api/conversations", new JsonObject()
            .put("userKey", "uk-unproven").put("returnUrl", RETURN).put("query", new JsonObject()
                .put("identity", emailOnly()).put("auth", new JsonObject())).encode(),
        "Content-Type", "application/json", "Accept", "application/json", "Authorization", HostedFixture.basic(open));
    assertEquals(201, conversation.status(), conversation.toString());
    FormBrowser browser = fixture.browser();
    FormBrowser.Page passwordStep = browser.submit(browser.get(path(conversation.json())), Map.of("identity", email));
    assertTrue(passwordStep.body().contains("name=\"password\""), passwordStep.toString());

    int before = fixture.codesSentTo(email);
    FormBrowser.Page codeStep = browser.submit(passwordStep, Map.of("password", "Correct-Horse-Battery-9",
        "action", "password"));
    assertTrue(codeStep.body().contains("name=\"code\""), "the code step, not the return: " + codeStep);
    FormBrowser.Page done = browser.submit(codeStep, Map.of("code", fixture.code(email, before), "action", "verify"));
    assertEquals(302, done.status(), done.toString());
    ApiResponse result = fixture.gateway.http().get("/api/conversations/" + conversation.json().getString("id"),
        "Accept", "application/json", "Authorization", HostedFixture.basic(open));
    assertEquals(email, result.json().getJsonObject("result").getJsonObject("identity").getString("EMAIL"));
    assertEquals(1, fixture.gateway.count("SELECT count(*) FROM users WHERE app_id = '" + openId
        + "' AND email_verified"), "the code proved it");

    // Proven now, the password alone finishes the next one (h47: a code was asked after every password)
    conversation = fixture.gateway.http().send("POST", "/api/conversations", new JsonObject()
            .put("userKey", "uk-proven").put("returnUrl", RETURN).put("query", new JsonObject()
                .put("identity", emailOnly()).put("auth", new JsonObject())).encode(),
        "Content-Type", "application/json", "Accept", "application/json", "Authorization", HostedFixture.basic(open));
    FormBrowser next = fixture.browser();
    passwordStep = next.submit(next.get(path(conversation.json())), Map.of("identity", email));
    int sent = fixture.codesSentTo(email);
    FormBrowser.Page returned = next.submit(passwordStep, Map.of("password", "Correct-Horse-Battery-9",
        "action", "password"));
    assertEquals(302, returned.status(), returned.toString());
    assertEquals(sent, fixture.codesSentTo(email), "no code");
  }

  @Test
  @DisplayName("deleting a user erases their conversations' results (identity fields, token, challenge): 404 after")
  void deletedUsersConversationsGo() {
    JsonObject conversation = created(registration());
    String id = conversation.getString("id");
    assertEquals(302, register(fixture.browser(), conversation, "erased@example.com").status());
    assertEquals("FINISHED", read(id).getString("status"));
    String admin = "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY;
    String users = "/v1/apps/" + app.getString("app_id") + "/users";
    String userId = fixture.gateway.http().get(users + "?q=erased%40example.com", "Authorization", admin)
        .json().getJsonArray("users").getJsonObject(0).getString("id");
    assertEquals(200, fixture.gateway.http().send("DELETE", users + "/" + userId, null, "Authorization", admin).status());
    ApiResponse gone = fixture.gateway.http().get("/api/conversations/" + id, "Accept", "application/json",
        "Authorization", HostedFixture.basic(app));
    assertEquals(404, gone.status(), "the result was the deleted user's data: " + gone.body());
  }

  @Test
  @DisplayName("a disabled user's right code finishes nothing: the page says so and the conversation stays open")
  void disabledUser() {
    JsonObject registered = created(registration());
    assertEquals(302, register(fixture.browser(), registered, "off@example.com").status());
    String challenge = read(registered.getString("id")).getJsonObject("result").getJsonObject("auth")
        .getString("challenge");
    String[] admin = dev.portcullis.testing.Http.bearer(dev.portcullis.testing.TestGateway.ADMIN_KEY);
    String users = "/v1/apps/" + app.getString("app_id") + "/users";
    String userId = fixture.gateway.http().get(users + "?q=off@example.com", admin).json().getJsonArray("users")
        .getJsonObject(0).getString("id");
    assertEquals(200, fixture.gateway.http().patch(users + "/" + userId, new JsonObject().put("disabled", true),
        admin).status());

    JsonObject login = created(new JsonObject().put("auth", new JsonObject().put("challenge", challenge)));
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get(path(login));
    int before = fixture.codesSentTo("off@example.com");
    FormBrowser.Page codeStep = browser.submit(page, Map.of("action", "send_code"));
    FormBrowser.Page refused = browser.submit(codeStep, Map.of("code", fixture.code("off@example.com", before),
        "action", "verify"));
    assertEquals(400, refused.status(), refused.toString());
    assertTrue(refused.body().contains("This account is disabled."), refused.body());
    JsonObject after = read(login.getString("id"));
    assertEquals("IN_PROGRESS", after.getString("status"), after.encode());
    assertTrue(!after.containsKey("result") || after.getValue("result") == null
        || !after.getJsonObject("result").containsKey("auth"), after.encode());
  }

  private static String userId(String email) {
    return fixture.gateway.http().get("/v1/apps/" + app.getString("app_id") + "/users?q=" + email,
            dev.portcullis.testing.Http.bearer(TestGateway.ADMIN_KEY))
        .json().getJsonArray("users").getJsonObject(0).getString("id");
  }

  private static void changeUser(String method, String email, JsonObject body) {
    ApiResponse changed = fixture.gateway.http().send(method, "/v1/apps/" + app.getString("app_id") + "/users/"
            + userId(email), body == null ? null : body.encode(), "Content-Type", "application/json",
        "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
    assertEquals(200, changed.status(), changed.toString());
  }

  @Test
  @DisplayName("a user disabled while the profile step is open finishes nothing when it is sent: no token, no result")
  void disabledAtProfileStep() {
    JsonObject conversation = created(registration());
    FormBrowser browser = fixture.browser();
    FormBrowser.Page fields = fixture.signIn(browser, browser.get(path(conversation)), "late-off@example.com");
    assertTrue(fields.body().contains("name=\"PERSON_NAME_FIRSTNAME\""), fields.toString());
    changeUser("PATCH", "late-off@example.com", new JsonObject().put("disabled", true));

    FormBrowser.Page refused = browser.submit(fields, Map.of("PERSON_NAME_FIRSTNAME", "Kim",
        "PERSON_NAME_LASTNAME", "Lee", "action", "profile"));

    assertEquals(403, refused.status(), refused.toString());
    assertTrue(refused.body().contains("This account is disabled."), refused.body());
    // Enabled again, the page's held proof does not finish it (h95: the same form posted again did).
    changeUser("PATCH", "late-off@example.com", new JsonObject().put("disabled", false));
    FormBrowser.Page again = browser.submit(fields, Map.of("PERSON_NAME_FIRSTNAME", "Kim",
        "PERSON_NAME_LASTNAME", "Lee", "action", "profile"));
    assertEquals(400, again.status(), again.toString());
    JsonObject after = read(conversation.getString("id"));
    assertEquals("IN_PROGRESS", after.getString("status"), after.encode());
    assertEquals(0, fixture.gateway.count("SELECT count(*) FROM conversation_credentials WHERE user_id = '"
        + userId("late-off@example.com") + "'"), "no token or challenge was made for the disabled user");
  }

  @Test
  @DisplayName("an authentication whose challenged user is deleted ends FINISHED with auth FAILED, whether its page "
      + "opens after the deletion or was open before it; no code goes to the erased address and no user is made")
  void challengedUserDeleted() {
    JsonObject registered = created(registration());
    assertEquals(302, register(fixture.browser(), registered, "gone-later@example.com").status());
    String challenge = read(registered.getString("id")).getJsonObject("result").getJsonObject("auth")
        .getString("challenge");
    JsonObject openedAfter = created(new JsonObject().put("auth", new JsonObject().put("challenge", challenge)));
    JsonObject openedBefore = created(new JsonObject().put("auth", new JsonObject().put("challenge", challenge)));
    FormBrowser early = fixture.browser();
    FormBrowser.Page page = early.get(path(openedBefore));
    assertEquals(200, page.status(), page.toString());
    int sent = fixture.codesSentTo("gone-later@example.com");
    changeUser("DELETE", "gone-later@example.com", null);

    FormBrowser.Page late = fixture.browser().get(path(openedAfter));
    assertEquals(400, late.status(), late.toString());
    FormBrowser.Page refused = early.submit(page, Map.of("action", "send_code"));
    assertEquals(400, refused.status(), refused.toString());
    assertTrue(refused.body().contains("This sign-in is over"), refused.body());

    for (JsonObject conversation : List.of(openedAfter, openedBefore)) {
      JsonObject read = read(conversation.getString("id"));
      assertEquals("FINISHED", read.getString("status"), read.encode());
      assertEquals("FAILED", read.getJsonObject("result").getJsonObject("auth").getString("status"));
    }
    assertEquals(sent, fixture.codesSentTo("gone-later@example.com"), "no code to the erased address");
    assertEquals(0, fixture.gateway.count("SELECT count(*) FROM users WHERE email = 'gone-later@example.com'"));
    assertEquals(2, fixture.gateway.count("SELECT count(*) FROM audit_events WHERE type = 'conversation.finished'"
        + " AND data->>'reason' = 'unknown_challenge' AND data->>'conversation_id' IN ('"
        + openedAfter.getString("id") + "', '" + openedBefore.getString("id") + "')"));
  }

  @Test
  @DisplayName("a HEAD of the url (a link checker's) neither binds it nor moves it on; the address field takes 500 characters")
  void headBindsNothing() {
    JsonObject conversation = created(new JsonObject().put("identity", new JsonObject().put("requireOneOf",
        new JsonArray().add(new JsonArray().add("ADDRESS").add("EMAIL")))));
    ApiResponse head = fixture.gateway.http().send("HEAD", path(conversation), null);
    assertEquals(null, head.header("Set-Cookie"), head.toString());
    assertEquals("CREATED", read(conversation.getString("id")).getString("status"));
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get(path(conversation));
    assertEquals(200, page.status(), "the first real browser still opens it: " + page);
    FormBrowser.Page fields = fixture.signIn(browser, page, "head@example.com");
    assertTrue(fields.body().contains("maxlength=\"500\""), fields.body());
  }

  @Test
  @DisplayName("a second tab of a conversation finished in the first sends no code and makes no user")
  void finishedInAnotherTab() {
    JsonObject conversation = created(new JsonObject().put("auth", new JsonObject()));
    FormBrowser browser = fixture.browser();
    FormBrowser.Page first = browser.get(path(conversation));
    FormBrowser.Page second = browser.get(path(conversation));
    assertEquals(200, second.status(), second.toString());
    FormBrowser.Page codeStep = fixture.toCodeStep(browser, first, "tab-one@example.com");
    FormBrowser.Page done = browser.submit(codeStep, Map.of("code", fixture.code("tab-one@example.com", 0),
        "action", "verify"));
    assertEquals(302, done.status(), done.toString());

    FormBrowser.Page late = browser.submit(second, Map.of("identity", "tab-two@example.com"));
    assertEquals(400, late.status(), late.toString());
    assertTrue(late.body().contains("This sign-in is over"), late.body());
    assertEquals(0, fixture.codesSentTo("tab-two@example.com"), "no code for a conversation that is over");
  }

  @Test
  @DisplayName("a returnUrl whose callback URL the app removed while the page was open ends the page: no code is sent")
  void returnUrlRemovedMidConversation() {
    String removed = "https://old.example.com/return";
    JsonObject changing = fixture.app("convo-changing", List.of(RETURN, removed), new JsonObject());
    ApiResponse response = fixture.gateway.http().send("POST", "/api/conversations", new JsonObject()
            .put("userKey", "uk-2").put("returnUrl", removed).put("query", new JsonObject().put("auth", new JsonObject()))
            .encode(),
        "Content-Type", "application/json", "Authorization", HostedFixture.basic(changing));
    assertEquals(201, response.status(), response.toString());
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get(path(response.json()));
    assertEquals(200, page.status(), page.toString());
    ApiResponse patched = fixture.gateway.http().send("PATCH", "/v1/apps/" + changing.getString("app_id"),
        new JsonObject().put("callback_urls", new JsonArray().add(RETURN)).encode(),
        "Content-Type", "application/json", "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
    assertEquals(200, patched.status(), patched.toString());

    FormBrowser.Page refused = browser.submit(page, Map.of("identity", "removed-return@example.com"));

    assertEquals(400, refused.status(), refused.toString());
    assertTrue(refused.body().contains("This sign-in is over"), refused.body());
    assertEquals(0, fixture.codesSentTo("removed-return@example.com"));
    // Over for the backend too (h79: IN_PROGRESS until its 30 minutes ran out).
    assertEquals("EXPIRED", read(response.json().getString("id"), changing).getString("status"));

    // A conversation first opened after the change ends the same way.
    ApiResponse later = fixture.gateway.http().send("POST", "/api/conversations", new JsonObject()
            .put("userKey", "uk-3").put("returnUrl", RETURN).put("query", new JsonObject()).encode(),
        "Content-Type", "application/json", "Authorization", HostedFixture.basic(changing));
    assertEquals(201, later.status(), later.toString());
    ApiResponse again = fixture.gateway.http().send("PATCH", "/v1/apps/" + changing.getString("app_id"),
        new JsonObject().put("callback_urls", new JsonArray().add(removed)).encode(),
        "Content-Type", "application/json", "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
    assertEquals(200, again.status(), again.toString());
    FormBrowser.Page opened = fixture.browser().get(path(later.json()));
    assertEquals(400, opened.status(), opened.toString());
    assertEquals("EXPIRED", read(later.json().getString("id"), changing).getString("status"));
  }

  @Test
  @DisplayName("requireOneOf is kept: PHONE alone without hosted_sms is 400, and a sign-in that cannot complete any "
      + "set goes back to the identity step instead of finishing")
  void requireOneOfKept() {
    JsonObject phoneOnly = new JsonObject().put("identity", new JsonObject().put("requireOneOf",
        new JsonArray().add(new JsonArray().add("PHONE"))));
    ApiResponse refused = create(new JsonObject().put("userKey", "uk-phone").put("returnUrl", RETURN)
        .put("query", phoneOnly), "application/json");
    assertEquals(400, refused.status(), refused.body());
    assertTrue(refused.json().getString("message").startsWith("query.identity.requireOneOf"), refused.body());

    JsonObject smsApp = fixture.app("convo-sms", List.of(RETURN), new JsonObject().put("hosted_sms", true));
    ApiResponse made = fixture.gateway.http().send("POST", "/api/conversations", new JsonObject()
        .put("userKey", "uk-phone").put("returnUrl", RETURN).put("query", new JsonObject().put("identity",
            new JsonObject().put("requireOneOf", new JsonArray().add(new JsonArray().add("PHONE")
                .add("PERSON_NAME_FIRSTNAME"))))).encode(),
        "Content-Type", "application/json", "Authorization", HostedFixture.basic(smsApp));
    assertEquals(201, made.status(), made.body());
    FormBrowser browser = fixture.browser();
    FormBrowser.Page page = browser.get(path(made.json()));
    FormBrowser.Page after = fixture.signIn(browser, page, "no-phone@example.com");
    assertEquals(400, after.status(), "the identity step again, with the error: " + after);
    assertTrue(after.body().contains("needs your phone number"), after.body());
    assertTrue(after.body().contains("name=\"identity\""), "back at the identity step");
    ApiResponse status = fixture.gateway.http().get("/api/conversations/" + made.json().getString("id"),
        "Authorization", HostedFixture.basic(smsApp));
    assertTrue(List.of("CREATED", "IN_PROGRESS").contains(status.json().getString("status")), status.body());
  }

  @Test
  @DisplayName("an unknown requireOneOf field is named back only when it looks like a field name (h92: a 50 KB string "
      + "was answered whole)")
  void unknownFieldNamedBriefly() {
    for (String field : List.of("NICKNAME", "x".repeat(50_000))) {
      ApiResponse refused = create(new JsonObject().put("userKey", "uk-field").put("returnUrl", RETURN)
          .put("query", new JsonObject().put("identity", new JsonObject().put("requireOneOf",
              new JsonArray().add(new JsonArray().add(field))))), "application/json");
      assertEquals(400, refused.status(), refused.body());
      assertTrue(refused.body().length() < 1_000, "answered in " + refused.body().length() + " characters");
      assertEquals(field.length() < 40, refused.json().getString("message").contains(field), refused.body());
    }
  }

  @Test
  @DisplayName("a query of the wrong shape is refused naming the field that is wrong (h52)")
  void queryShapeErrorsNameTheField() {
    Map<Object, String> cases = new LinkedHashMap<>();
    cases.put(5, "query.identity: must be an object");
    cases.put(new JsonObject().put("requireOneOf", 5), "query.identity.requireOneOf: must be an array");
    for (Map.Entry<Object, String> one : cases.entrySet()) {
      ApiResponse refused = create(new JsonObject().put("userKey", "uk-shape").put("returnUrl", RETURN)
          .put("query", new JsonObject().put("identity", one.getKey())), "application/json");
      assertEquals(400, refused.status(), refused.body());
      assertTrue(refused.json().getString("message").startsWith(one.getValue()), refused.body());
    }
    ApiResponse noQuery = create(new JsonObject().put("userKey", "uk-shape").put("returnUrl", RETURN),
        "application/json");
    assertEquals("query: is required", noQuery.json().getString("message"), noQuery.body());
  }

  @Test
  @DisplayName("an unknown challenge finishes the conversation at once with auth FAILED")
  void unknownChallenge() {
    JsonObject conversation = created(new JsonObject().put("auth", new JsonObject()
        .put("challenge", UUID.randomUUID().toString())));
    JsonObject read = read(conversation.getString("id"));
    assertEquals("FINISHED", read.getString("status"));
    assertEquals("FAILED", read.getJsonObject("result").getJsonObject("auth").getString("status"));
    FormBrowser.Page page = fixture.browser().get(path(conversation));
    assertEquals(400, page.status(), "a finished conversation's page starts nothing");
  }

  @Test
  @DisplayName("the url works only in the first browser that opens it as a page: loaded as an image or a fetch, it is a "
      + "403 page and binds nothing")
  void boundToFirstBrowser() {
    JsonObject conversation = created(new JsonObject().put("auth", new JsonObject()));
    for (String destination : List.of("image", "empty", "iframe")) {
      ApiResponse embedded = fixture.gateway.http().get(path(conversation), "Sec-Fetch-Dest", destination);
      assertEquals(403, embedded.status(), destination + " " + embedded.body());
    }
    FormBrowser first = fixture.browser();
    assertEquals(200, first.get(path(conversation)).status());
    FormBrowser.Page second = fixture.browser().get(path(conversation));
    assertEquals(403, second.status(), second.toString());
    assertTrue(second.body().contains("another browser"));
    FormBrowser.Page reopened = first.get(path(conversation));
    assertEquals(200, reopened.status());
    FormBrowser.Page done = fixture.signIn(first, reopened, "first@example.com");
    assertEquals(302, done.status(), done.toString());
    assertEquals("FINISHED", read(conversation.getString("id")).getString("status"));
  }

  @Test
  @DisplayName("the answer comes in the media type the backend spoke, and so do its errors")
  void mediaTypes() {
    JsonObject body = new JsonObject().put("userKey", "k").put("returnUrl", RETURN).put("query", new JsonObject());
    ApiResponse vendor = create(body, AUTHOLOGIC);
    assertEquals(AUTHOLOGIC, vendor.header("Content-Type"));
    for (String anything : List.of("*/*", "application/*")) {
      ApiResponse wildcard = fixture.gateway.http().send("POST", "/api/conversations", body.encode(), "Content-Type",
          AUTHOLOGIC, "Accept", anything, "Authorization", HostedFixture.basic(app));
      assertEquals(201, wildcard.status(), wildcard.body());
      assertEquals(AUTHOLOGIC, wildcard.header("Content-Type"), "Accept " + anything + ": in kind");
    }
    ApiResponse plainAsked = fixture.gateway.http().send("POST", "/api/conversations", body.encode(), "Content-Type",
        AUTHOLOGIC, "Accept", "application/json", "Authorization", HostedFixture.basic(app));
    assertEquals("application/json", plainAsked.header("Content-Type"), "plain JSON asked for by name");
    ApiResponse json = create(body, "application/json");
    assertEquals(201, json.status());
    assertEquals("application/json", json.header("Content-Type"));
    assertNotNull(json.json().getString("url"));

    // Errors too, a malformed body included (h45: always application/json)
    ApiResponse malformed = fixture.gateway.http().send("POST", "/api/conversations", "{not json", "Content-Type",
        AUTHOLOGIC, "Accept", AUTHOLOGIC, "Authorization", HostedFixture.basic(app));
    assertEquals(400, malformed.status(), malformed.body());
    assertEquals(AUTHOLOGIC, malformed.header("Content-Type"));
    assertEquals("invalid_request", malformed.error());
    ApiResponse unknown = fixture.gateway.http().send("GET", "/api/conversations/" + java.util.UUID.randomUUID(), null,
        "Accept", AUTHOLOGIC, "Authorization", HostedFixture.basic(app));
    assertEquals(404, unknown.status(), unknown.body());
    assertEquals(AUTHOLOGIC, unknown.header("Content-Type"));
    assertEquals("application/json", create(new JsonObject(), "application/json").header("Content-Type"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {
      "https://shop.example.com/return/",
      "https://shop.example.com/returned",
      "https://shop.example.com:444/return",
      "http://shop.example.com/return",
      "https://evil.example.com/return",
      "https://user@shop.example.com/return",
      "https://shop.example.com/return#x",
      "https://shop.example.com/{conversationId}",
      "https://shop.example.com/return?a=\r\nX-Injected: 1",
      "https://shop.example.com/return?a=b c",
      "https://shop.example.com/return?n=\u00e9"})
  @DisplayName("a returnUrl that is no ASCII URL, or whose origin or path differs from every callback URL, is 400")
  void returnUrlRefused(String returnUrl) {
    ApiResponse response = create(new JsonObject().put("userKey", "k").put("returnUrl", returnUrl)
        .put("query", new JsonObject()), "application/json");
    assertEquals(400, response.status(), response.toString());
    assertEquals("invalid_request", response.error());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"https://SHOP.example.com/return?c={conversationId}", "https://shop.example.com:443/return",
      "https://shop.example.com/return?n=%C3%A9"})
  @DisplayName("the origin is compared as an origin: the host's case and the scheme's default port do not matter")
  void returnUrlSameOrigin(String returnUrl) {
    ApiResponse response = create(new JsonObject().put("userKey", "k").put("returnUrl", returnUrl)
        .put("query", new JsonObject()), "application/json");
    assertEquals(201, response.status(), response.toString());
  }

  @Test
  @DisplayName("a callback URL stored before the port rule (70000) is no callback for a returnUrl (h98: it was one)")
  void storedCallbackOutOfRange() throws Exception {
    JsonObject legacy = fixture.app("convo-legacy-port", List.of(RETURN), new JsonObject());
    try (java.sql.Connection db = fixture.gateway.jdbc(); java.sql.PreparedStatement update = db.prepareStatement(
        "UPDATE apps SET callback_urls = callback_urls || jsonb_build_array(?::text) WHERE id = ?::uuid")) {
      update.setString(1, "https://shop.example.com:70000/ret2");
      update.setString(2, legacy.getString("app_id"));
      assertEquals(1, update.executeUpdate());
    }
    ApiResponse refused = fixture.gateway.http().send("POST", "/api/conversations", new JsonObject().put("userKey", "k")
            .put("returnUrl", "https://shop.example.com:70000/ret2").put("query", new JsonObject()).encode(),
        "Content-Type", "application/json", "Authorization", HostedFixture.basic(legacy));
    assertEquals(400, refused.status(), refused.toString());
  }

  @Test
  @DisplayName("another app's conversation is 404, and no credentials are 401")
  void otherApps() {
    JsonObject conversation = created(new JsonObject().put("auth", new JsonObject()));
    JsonObject other = fixture.app("convo-other", List.of(RETURN), new JsonObject());
    ApiResponse foreign = fixture.gateway.http().get("/api/conversations/" + conversation.getString("id"),
        "Authorization", HostedFixture.basic(other));
    assertEquals(404, foreign.status());
    assertEquals(401, fixture.gateway.http().get("/api/conversations/" + conversation.getString("id")).status());
  }

  @Test
  @DisplayName("a conversation past its 30 minutes reads EXPIRED and its url starts nothing")
  void expiry() throws Exception {
    JsonObject conversation = created(new JsonObject().put("auth", new JsonObject()));
    String id = conversation.getString("id");
    try (var db = fixture.gateway.jdbc(); var statement = db.createStatement();
         var rows = statement.executeQuery("SELECT expires_at - created_at = interval '30 minutes' FROM conversations "
             + "WHERE id = '" + id + "'")) {
      assertTrue(rows.next() && rows.getBoolean(1), "expires 30 minutes after creation");
    }
    try (var db = fixture.gateway.jdbc(); var statement = db.createStatement()) {
      statement.executeUpdate("UPDATE conversations SET created_at = now() - interval '31 minutes', "
          + "expires_at = now() - interval '1 minute' WHERE id = '" + id + "'");
    }
    assertEquals("EXPIRED", read(id).getString("status"));
    assertEquals(400, fixture.browser().get(path(conversation)).status());
  }

  @Test
  @DisplayName("a userKey with a control or text-direction character, or no string, is 400 naming userKey; accents, "
      + "CJK, emoji and direction marks are ordinary text")
  void userKeyHiddenCharacters() {
    for (String hidden : List.of("a\u0001b", "a\u202Eb", "a\u2066b")) {
      ApiResponse refused = create(new JsonObject().put("userKey", hidden).put("returnUrl", RETURN)
          .put("query", new JsonObject()), "application/json");
      assertEquals(400, refused.status(), refused.toString());
      assertEquals("invalid_request", refused.error());
      assertEquals("userKey: must not contain control or text-direction characters", refused.json().getString("message"));
    }
    ApiResponse number = create(new JsonObject().put("userKey", 5).put("returnUrl", RETURN)
        .put("query", new JsonObject()), "application/json");
    assertEquals(400, number.status(), number.toString());
    assertEquals("userKey: must be a string", number.json().getString("message"), "probe h45: 'is required'");
    String ordinary = "client-J\u00fcrgen \u5c71\u7530 \uD83D\uDE00 \u05D3\u05D5\u05D3\u200F\u200E";
    ApiResponse made = create(new JsonObject().put("userKey", ordinary).put("returnUrl", RETURN)
        .put("query", new JsonObject()), "application/json");
    assertEquals(201, made.status(), made.toString());
    assertEquals(ordinary, made.json().getString("userKey"));
    assertEquals(ordinary, read(made.json().getString("id")).getString("userKey"));
  }
}
