package dev.portcullis.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("The HTTP conventions of the contract")
class HttpConventionsTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;

  @Test
  @DisplayName("an unknown path answers a JSON 404 not_found with a request id")
  void unknownPath() {
    ApiResponse response = gateway.http().get("/no/such/path");
    assertEquals(404, response.status());
    assertEquals("not_found", response.error());
    assertNotNull(response.json().getString("message"));
    assertNotNull(response.header("X-Request-Id"));
  }

  @Test
  @DisplayName("a known path with the wrong method answers a JSON 405 whose Allow lists the path's methods")
  void wrongMethod() {
    ApiResponse response = gateway.http().delete("/auth/send-otp");
    assertEquals(405, response.status());
    assertEquals("method_not_allowed", response.error());
    assertEquals("POST", response.header("Allow"));
    assertEquals("GET, HEAD", gateway.http().delete("/auth/me").header("Allow"));
    String appId = java.util.UUID.randomUUID().toString();
    assertEquals("GET, HEAD, POST", gateway.http().delete("/oidc/" + appId + "/userinfo").header("Allow"));
    ApiResponse user = gateway.http().post("/v1/apps/" + appId + "/users/" + appId, new JsonObject());
    assertEquals(405, user.status());
    assertEquals("DELETE, GET, HEAD, PATCH", user.header("Allow"));
    for (String formPost : java.util.List.of("/oidc/" + appId + "/token", "/oidc/" + appId + "/revoke")) {
      for (ApiResponse other : java.util.List.of(gateway.http().get(formPost), gateway.http().delete(formPost))) {
        assertEquals(405, other.status(), formPost + ": " + other.body());
        assertEquals("method_not_allowed", other.error());
        assertEquals("POST", other.header("Allow"));
      }
    }
    // The hosted pages answer in HTML, their errors too: a reloaded flow address shows a page, not JSON.
    ApiResponse reloaded = gateway.http().get("/hosted/" + appId + "/flow");
    assertEquals(405, reloaded.status(), reloaded.body());
    assertEquals("POST", reloaded.header("Allow"));
    assertTrue(reloaded.header("Content-Type").startsWith("text/html"), reloaded.toString());
  }

  @Test
  @DisplayName("a path with a dot or empty segment is 400, never the route it would reduce to (users/.. is the app)")
  void dotSegments() {
    String appId = gateway.createApp("dot-segments").getString("app_id");
    String[] admin = Http.bearer(TestGateway.ADMIN_KEY);
    for (String path : java.util.List.of("/users/..", "/users/%2E%2E", "/users/.%2e", "/tenants/%2e%2E",
        "/x/../users", "/./users", "//users", "/users//x")) {
      ApiResponse response = gateway.http().delete("/v1/apps/" + appId + path, admin);
      assertEquals(400, response.status(), path + ": " + response.body());
      assertEquals("invalid_request", response.error());
    }
    assertEquals(200, gateway.http().get("/v1/apps/" + appId, admin).status(), "the app is still there");
    assertEquals(200, gateway.http().get("/v1/apps/" + appId + "/users/", admin).status(), "a trailing slash is fine");
    assertEquals(200, gateway.http().get("/v1/apps/" + appId + "/jwks.json").status());
  }

  @Test
  @DisplayName("a 401 about HTTP authentication names its scheme in WWW-Authenticate: Basic for clients, Bearer for tokens")
  void authenticationChallenges() {
    String appId = java.util.UUID.randomUUID().toString();
    String basic = "Basic realm=\"portcullis\", charset=\"UTF-8\"";
    ApiResponse client = gateway.http().post("/auth/send-otp", new JsonObject().put("app_id", appId)
        .put("app_secret", "wrong").put("email", "a@example.com"));
    assertEquals(401, client.status());
    assertEquals(basic, client.header("WWW-Authenticate"));
    ApiResponse userinfo = gateway.http().get("/api/client/" + appId + "/userinfo?code=x");
    assertEquals(401, userinfo.status(), userinfo.body());
    assertEquals(basic, userinfo.header("WWW-Authenticate"));
    ApiResponse me = gateway.http().get("/auth/me", Http.bearer("not-a-token"));
    assertEquals(401, me.status());
    assertEquals("Bearer realm=\"portcullis\", error=\"invalid_token\"", me.header("WWW-Authenticate"));
    ApiResponse anonymous = gateway.http().get("/auth/me");
    assertEquals(401, anonymous.status());
    assertEquals("Bearer realm=\"portcullis\"", anonymous.header("WWW-Authenticate"), "RFC 6750 3.1: no credentials, no error");
    ApiResponse otherScheme = gateway.http().get("/auth/me", "Authorization", "Basic Zm9vOmJhcg==");
    assertEquals("Bearer realm=\"portcullis\"", otherScheme.header("WWW-Authenticate"), "another scheme: no error either");
  }

  @Test
  @DisplayName("a body nobody takes is not judged: another method is 405 and an unknown path 404, whatever its type")
  void bodyOfNoRoute() {
    String[] form = {"Content-Type", "application/x-www-form-urlencoded"};
    assertEquals(405, gateway.http().send("POST", "/auth/me", "a=b", form).status());
    String appId = java.util.UUID.randomUUID().toString();
    assertEquals(405, gateway.http().send("POST", "/oidc/" + appId + "/.well-known/openid-configuration", "a=b", form)
        .status());
    assertEquals(404, gateway.http().send("POST", "/no/such/path", "a=b", form).status());
    assertEquals(404, gateway.http().send("POST", "/no/such/path", "[1]", "Content-Type", "application/json").status());
    assertEquals(415, gateway.http().send("POST", "/auth/send-otp", "a=b", form).status(), "a route's body is judged");
  }

  @Test
  @DisplayName("a GET route answers HEAD with its status and headers and no body")
  void head() {
    String appId = gateway.createApp("head-jwks").getString("app_id");
    ApiResponse jwks = gateway.http().send("HEAD", "/v1/apps/" + appId + "/jwks.json", null);
    assertEquals(200, jwks.status());
    assertEquals("", jwks.body());
    assertNotNull(jwks.header("Cache-Control"));
    assertEquals(200, gateway.management().send("HEAD", "/health/live", null).status());
  }

  @Test
  @DisplayName("a body with a comment, or a field given twice, is 400 invalid_request (the latter naming the field)")
  void strictJson() {
    String[] json = {"Content-Type", "application/json"};
    ApiResponse comment = gateway.http().send("POST", "/auth/send-otp", "{/* c */\"email\":\"a@example.com\"}", json);
    assertEquals(400, comment.status(), comment.body());
    assertEquals("invalid_request", comment.error());
    ApiResponse twice = gateway.http().send("POST", "/auth/send-otp",
        "{\"app_secret\":\"wrong\",\"app_secret\":\"right\"}", json);
    assertEquals(400, twice.status(), twice.body());
    assertTrue(twice.json().getString("message").startsWith("app_secret"), twice.body());
    // A long name given twice is told so too, the name cut (h98: it read as invalid JSON).
    String name = "k".repeat(80);
    ApiResponse longTwice = gateway.http().send("POST", "/auth/send-otp",
        "{\"" + name + "\":1,\"" + name + "\":2}", json);
    assertEquals(400, longTwice.status(), longTwice.body());
    assertTrue(longTwice.json().getString("message").endsWith("…: is given twice in the body"), longTwice.body());
  }

  @Test
  @DisplayName("the caller's X-Request-Id is echoed")
  void requestIdEchoed() {
    ApiResponse response = gateway.http().get("/nowhere", "X-Request-Id", "trace-abc-123");
    assertEquals("trace-abc-123", response.header("X-Request-Id"));
  }

  @Test
  @DisplayName("a field name of the caller's is cut in the error, and no answer's media type is to be sniffed (h91)")
  void callersFieldNamesCut() {
    String longName = "<script>" + "x".repeat(20_000);
    ApiResponse response = gateway.http().post("/v1/apps", new JsonObject().put("name", "N").put(longName, 1),
        Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(400, response.status());
    assertEquals("invalid_request", response.error());
    String message = response.json().getString("message");
    assertTrue(message.startsWith("<script>xxx") && message.contains("…: is not a field of this request"), message);
    assertTrue(response.body().length() < 1_000, "the answer does not grow with the caller's field name");
    assertEquals("nosniff", response.header("X-Content-Type-Options"));
    assertEquals("nosniff", gateway.http().get("/nowhere").header("X-Content-Type-Options"));
  }

  @Test
  @DisplayName("a body that is not JSON is 400 invalid_request; one beyond the parser's bounds says so (h26: called "
      + "invalid JSON)")
  void notJson() {
    ApiResponse response = gateway.http().send("POST", "/auth/send-otp", "{not json", "Content-Type", "application/json");
    assertEquals(400, response.status());
    assertEquals("invalid_request", response.error());
    for (String bounded : new String[] {"{\"a\":" + "[".repeat(1001) + "]".repeat(1001) + "}",
        "{\"a\":" + "9".repeat(5000) + "}"}) {
      ApiResponse refused = gateway.http().send("POST", "/auth/send-otp", bounded, "Content-Type", "application/json");
      assertEquals(400, refused.status(), refused.body());
      assertEquals("body is nested too deeply, or holds too long a number or string",
          refused.json().getString("message"));
    }
  }

  @Test
  @DisplayName("a JSON body that is not an object is 400 invalid_request")
  void notAnObject() {
    ApiResponse response = gateway.http().send("POST", "/auth/send-otp", "[1,2]", "Content-Type", "application/json");
    assertEquals(400, response.status());
    assertEquals("invalid_request", response.error());
  }

  @Test
  @DisplayName("a field of the wrong type is 400 invalid_request naming the field")
  void wrongType() {
    ApiResponse response = gateway.http().post("/v1/apps", new JsonObject().put("name", 42).put("slug", "abc"),
        "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
    assertEquals(400, response.status());
    assertEquals("invalid_request", response.error());
    assertTrue(response.json().getString("message").contains("name"), response.body());
  }

  @Test
  @DisplayName("a body over 64 KiB is 413 payload_too_large")
  void tooLarge() {
    String big = "{\"pad\":\"" + "x".repeat(70 * 1024) + "\"}";
    ApiResponse response = gateway.http().send("POST", "/auth/send-otp", big, "Content-Type", "application/json");
    assertEquals(413, response.status());
    assertEquals("payload_too_large", response.error());
  }

  @Test
  @DisplayName("a body of another media type is 415 unsupported_media_type")
  void wrongMediaType() {
    ApiResponse response = gateway.http().send("POST", "/auth/send-otp", "a=b", "Content-Type", "text/plain");
    assertEquals(415, response.status());
    assertEquals("unsupported_media_type", response.error());
  }

  @Test
  @DisplayName("missing client credentials on /auth are 401 invalid_client")
  void missingClient() {
    ApiResponse response = gateway.http().post("/auth/send-otp", new JsonObject().put("email", "a@example.com"));
    assertEquals(401, response.status());
    assertEquals("invalid_client", response.error());
    assertFalse(response.body().contains("Exception"), response.body());
  }

  @Test
  @DisplayName("a path with a malformed %-escape answers a JSON 400 invalid_request")
  void malformedPathEscape() {
    String[] answer = raw("GET /v1/apps/%zz/jwks.json");
    assertTrue(answer[0].startsWith("HTTP/1.1 400 "), answer[0]);
    assertEquals("invalid_request", new JsonObject(answer[1]).getString("error"), answer[1]);
  }

  @Test
  @DisplayName("a query string with a malformed %-escape answers 400 invalid_request, not 500")
  void malformedQueryEscape() {
    String[] answer = raw("GET /v1/apps?limit=%zz", "Authorization: Bearer " + TestGateway.ADMIN_KEY);
    assertTrue(answer[0].startsWith("HTTP/1.1 400 "), answer[0]);
    assertEquals("invalid_request", new JsonObject(answer[1]).getString("error"), answer[1]);
  }

  @Test
  @DisplayName("requests the HTTP decoder refuses (a huge request line or header, a garbled request line) answer the "
      + "JSON error contract with a request id")
  void undecodableRequests() {
    String[][] answers = {
        raw("GET /v1/apps/" + "a".repeat(9000)),
        raw("GET /auth/me", "X-Filler: " + "b".repeat(20_000)),
        raw("GET /auth/me HTTP/1.1 trailing-garbage")};
    // The decoder answers in HTTP/1.0 when it could not read the request's version.
    String[] statuses = {" 414 ", " 431 ", " 400 "};
    for (int i = 0; i < answers.length; i++) {
      assertTrue(answers[i][0].startsWith("HTTP/1.") && answers[i][0].contains(statuses[i]), answers[i][0]);
      assertEquals("invalid_request", new JsonObject(answers[i][1]).getString("error"), answers[i][1]);
      assertTrue(answers[i][2].toLowerCase(java.util.Locale.ROOT).contains("x-request-id: "), answers[i][2]);
      assertTrue(answers[i][2].toLowerCase(java.util.Locale.ROOT).contains("x-content-type-options: nosniff"),
          "as every answer (h98): " + answers[i][2]);
    }
  }

  @Test
  @DisplayName("a JSON string holding the NUL character (which Postgres cannot store) is 400 naming its field, not 500")
  void nulCharacter() {
    String[] admin = {"Authorization", "Bearer " + TestGateway.ADMIN_KEY};
    ApiResponse app = gateway.http().post("/v1/apps", new JsonObject().put("name", "a\u0000b").put("slug", "nul-app"),
        admin);
    assertEquals(400, app.status(), app.body());
    assertTrue(app.json().getString("message").startsWith("name"), app.body());
    String appId = gateway.createApp("nul-app-2").getString("app_id");
    ApiResponse user = gateway.http().post("/v1/apps/" + appId + "/users", new JsonObject().put("email", "n@example.com")
        .put("profile", new JsonObject().put("name", "x\u0000")), admin);
    assertEquals(400, user.status(), user.body());
    assertTrue(user.json().getString("message").startsWith("profile.name"), user.body());
    ApiResponse emptyPatch = gateway.http().send("PATCH", "/v1/apps/" + appId, "", "Content-Type", "application/json",
        admin[0], admin[1]);
    assertEquals(400, emptyPatch.status(), "a PATCH must say what to change: " + emptyPatch.body());
    assertEquals("invalid_request", emptyPatch.error());
  }

  @Test
  @DisplayName("a NUL character in a query string or a form body is 400, not a 500 from Postgres")
  void nulInQueryOrForm() {
    String[] admin = {"Authorization", "Bearer " + TestGateway.ADMIN_KEY};
    String appId = gateway.createApp("nul-query").getString("app_id");
    for (String path : java.util.List.of("/v1/apps/" + appId + "/users?q=a%00b", "/v1/apps/" + appId + "/audit?type=a%00b")) {
      ApiResponse refused = gateway.http().get(path, admin);
      assertEquals(400, refused.status(), path + " -> " + refused.body());
      assertEquals("invalid_request", refused.error());
    }
    ApiResponse form = gateway.http().send("POST", "/hosted/" + appId + "/flow", "flow_id=a%00b&step=identity",
        "Content-Type", "application/x-www-form-urlencoded");
    assertEquals(400, form.status(), form.body());
    ApiResponse oauth = gateway.http().send("POST", "/oidc/" + appId + "/token",
        "grant_type=authorization_code&code=a%00b&redirect_uri=x&code_verifier=" + "v".repeat(43),
        "Content-Type", "application/x-www-form-urlencoded");
    assertTrue(oauth.json().containsKey("error_description"), "OAuth's error shape at the token endpoint: " + oauth.body());
    ApiResponse malformed = gateway.http().send("POST", "/oidc/" + appId + "/token", "code=%zz",
        "Content-Type", "application/x-www-form-urlencoded");
    assertEquals(400, malformed.status(), malformed.body());
    assertTrue(malformed.json().containsKey("error_description"), "also before the endpoint's handler: " + malformed.body());
    assertEquals(200, gateway.http().get("/v1/apps/" + appId + "/users?q=a%2500b", admin).status(),
        "an encoded percent sign followed by 00 is no NUL");
  }

  @Test
  @DisplayName("a lone UTF-16 surrogate or a number beyond a double is 400 naming its field, never stored as ? or Infinity")
  void unstorableValues() {
    String[] admin = {"Authorization", "Bearer " + TestGateway.ADMIN_KEY, "Content-Type", "application/json"};
    ApiResponse lone = gateway.http().send("POST", "/v1/apps", "{\"name\":\"a\\ud800\",\"slug\":\"lone-app\"}", admin);
    assertEquals(400, lone.status(), lone.body());
    assertTrue(lone.json().getString("message").startsWith("name: is not valid Unicode"), lone.body());
    ApiResponse reversed = gateway.http().send("POST", "/v1/apps", "{\"name\":\"a\\udc00\\ud83d\",\"slug\":\"rev-app\"}", admin);
    assertEquals(400, reversed.status(), reversed.body());
    ApiResponse paired = gateway.http().send("POST", "/v1/apps", "{\"name\":\"a\\ud83d\\ude00\",\"slug\":\"pair-app\"}", admin);
    assertEquals(201, paired.status(), paired.body());
    assertEquals("a\ud83d\ude00", paired.json().getString("name"));
    String appId = paired.json().getString("app_id");
    ApiResponse huge = gateway.http().send("POST", "/v1/apps/" + appId + "/users",
        "{\"email\":\"huge@example.com\",\"profile\":{\"name\":\"x\",\"extra\":[1e400]}}", admin);
    assertEquals(400, huge.status(), huge.body());
    assertTrue(huge.json().getString("message").startsWith("profile.extra[0]: is too large a number"), huge.body());
    // Overlong UTF-8 (C0 AF is "/" spelt in two bytes) is no UTF-8 at all: 400, not a name holding "/".
    byte[] overlong = "{\"name\":\"x\u00c0\u00af\",\"slug\":\"overlong-app\"}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    ApiResponse refused = gateway.http().sendBytes("POST", "/v1/apps", overlong, admin);
    assertEquals(400, refused.status(), refused.body());
    assertEquals("invalid_request", refused.error());
  }

  @Test
  @DisplayName("a PATCH field given as null is 400 naming it, not a 200 that changed nothing")
  void nullPatchFields() {
    String[] admin = {"Authorization", "Bearer " + TestGateway.ADMIN_KEY};
    String appId = gateway.createApp("null-patch").getString("app_id");
    for (String field : java.util.List.of("name", "callback_urls", "settings")) {
      ApiResponse patched = gateway.http().patch("/v1/apps/" + appId, new JsonObject().putNull(field), admin);
      assertEquals(400, patched.status(), field + ": " + patched.body());
      assertTrue(patched.json().getString("message").startsWith(field + ": must not be null"), patched.body());
    }
    ApiResponse user = gateway.http().post("/v1/apps/" + appId + "/users", new JsonObject().put("email", "np@example.com"),
        admin);
    for (String field : java.util.List.of("roles", "disabled", "profile")) {
      ApiResponse patched = gateway.http().patch("/v1/apps/" + appId + "/users/" + user.json().getString("id"),
          new JsonObject().putNull(field), admin);
      assertEquals(400, patched.status(), field + ": " + patched.body());
    }
    ApiResponse tenant = gateway.http().post("/v1/apps/" + appId + "/tenants",
        new JsonObject().put("name", "Null Co").put("slug", "null-co"), admin);
    for (String field : java.util.List.of("name", "slug")) {
      ApiResponse patched = gateway.http().patch("/v1/apps/" + appId + "/tenants/" + tenant.json().getString("tenant_id"),
          new JsonObject().putNull(field), admin);
      assertEquals(400, patched.status(), field + ": " + patched.body());
    }
    ApiResponse profileField = gateway.http().patch("/v1/apps/" + appId + "/users/" + user.json().getString("id"),
        new JsonObject().put("profile", new JsonObject().putNull("name")), admin);
    assertEquals(200, profileField.status(), "a profile field's null still removes it: " + profileField.body());
  }

  @Test
  @DisplayName("a form body with a malformed %-escape answers 400 invalid_request, not 500")
  void malformedFormEscape() {
    String appId = java.util.UUID.randomUUID().toString();
    for (String path : java.util.List.of("/oidc/" + appId + "/token", "/oidc/" + appId + "/revoke",
        "/oidc/" + appId + "/userinfo", "/hosted/" + appId + "/flow")) {
      for (String body : java.util.List.of("grant_type=%ZZ", "token=abc%", "%%%&&=&==")) {
        ApiResponse answer = gateway.http().send("POST", path, body, "Content-Type", "application/x-www-form-urlencoded");
        assertEquals(400, answer.status(), path + " " + body + ": " + answer.body());
        if (path.startsWith("/hosted/")) {
          assertTrue(answer.header("Content-Type").startsWith("text/html"), "a hosted page's error is a page");
        } else {
          assertEquals("invalid_request", answer.error(), answer.body());
        }
      }
    }
  }

  @Test
  @DisplayName("a client_ip that is not an IP address is 400 invalid_request naming client_ip on every client route")
  void clientIpMustBeAnAddress() {
    JsonObject app = gateway.createApp("client-ip-check");
    JsonObject credentials = new JsonObject()
        .put("app_id", app.getString("app_id"))
        .put("app_secret", app.getString("app_secret"));
    for (String ip : new String[] {"999.1.1.1", "1.2", "::::", "1:2:3", "abc."}) {
      for (String path : new String[] {"/auth/refresh", "/auth/logout", "/auth/send-otp"}) {
        JsonObject body = credentials.copy().put("refresh_token", "x").put("email", "a@example.com").put("client_ip", ip);
        ApiResponse response = gateway.http().post(path, body);
        assertEquals(400, response.status(), path + " " + ip + ": " + response.body());
        assertTrue(response.json().getString("message").startsWith("client_ip"), response.body());
      }
    }
  }

  /** Sends a request line the JDK client refuses to build; answers {status line, body}. */
  private static String[] raw(String requestLine, String... headers) {
    StringBuilder request = new StringBuilder(requestLine).append(" HTTP/1.1\r\nHost: localhost\r\n");
    for (String header : headers) {
      request.append(header).append("\r\n");
    }
    request.append("Connection: close\r\n\r\n");
    try (Socket socket = new Socket("127.0.0.1", gateway.config().httpPort())) {
      socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int blank = response.indexOf("\r\n\r\n");
      return new String[] {response.substring(0, response.indexOf("\r\n")), response.substring(blank + 4),
          response.substring(0, blank)};
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
