package dev.portcullis.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Malformed requests: answered in the JSON error contract with a request id, never 500, never smuggled")
class MalformedRequestsTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;

  private static final String ADMIN = "Authorization: Bearer " + TestGateway.ADMIN_KEY + "\r\n";
  private static final Pattern STATUS_LINE = Pattern.compile("(?m)^HTTP/1\\.[01] (\\d{3}) ");

  @Test
  @DisplayName("an HTTP/1.1 request without a Host header is 400 invalid_request with a request id, on both ports")
  void noHost() {
    for (int port : new int[] {gateway.config().httpPort(), gateway.config().managementPort()}) {
      Answer answer = exchange(port, "GET /v1/apps HTTP/1.1\r\n" + ADMIN + "Connection: close\r\n\r\n");
      assertEquals(400, answer.status(), answer.text());
      assertEquals("invalid_request", answer.json().getString("error"), answer.text());
      assertNotNull(answer.header("X-Request-Id"), answer.text());
    }
  }

  @Test
  @DisplayName("an upgrade to HTTP/2 over cleartext (h2c) is not taken, on both ports: the request is answered over "
      + "HTTP/1.1 (h26: switched, and its refusals skipped the JSON contract)")
  void noCleartextHttp2() {
    for (int port : new int[] {gateway.config().httpPort(), gateway.config().managementPort()}) {
      Answer answer = exchange(port, "GET /no-such-route HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
          + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n", true);
      assertEquals(404, answer.status(), answer.text());
      assertEquals("not_found", answer.json().getString("error"), answer.text());
    }
  }

  @Test
  @DisplayName("an Expect other than 100-continue is 400 invalid_request, not the body handler's 417 as a 500")
  void unknownExpectation() {
    Answer answer = exchange(gateway.config().httpPort(), "POST /v1/apps HTTP/1.1\r\nHost: x\r\n" + ADMIN
        + "Expect: fancy\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    assertEquals(400, answer.status(), answer.text());
    assertEquals("invalid_request", answer.json().getString("error"), answer.text());
    assertNotNull(answer.header("X-Request-Id"), answer.text());
  }

  @Test
  @DisplayName("a chunk size that is not hex or overflows, or a chunk extension, is 400 invalid_request and the "
      + "connection closes")
  void malformedChunks() {
    for (String chunk : List.of("zz\r\n{}\r\n0\r\n\r\n", "ffffffffffffffff\r\n{}\r\n0\r\n\r\n",
        "2;foo=bar\r\n{}\r\n0\r\n\r\n")) {
      Answer answer = exchange(gateway.config().httpPort(), "POST /v1/apps HTTP/1.1\r\nHost: x\r\n" + ADMIN
          + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk);
      assertEquals(400, answer.status(), chunk + ": " + answer.text());
      assertEquals("invalid_request", answer.json().getString("error"), answer.text());
      assertNotNull(answer.header("X-Request-Id"), answer.text());
      assertTrue(answer.closed(), "the connection closes after: " + answer.text());
    }
  }

  @Test
  @DisplayName("a Transfer-Encoding other than chunked is 400 before the body is read: a request hidden in the body "
      + "is never answered")
  void unknownTransferEncoding() {
    String hidden = "GET /no/such/path HTTP/1.1\r\nHost: x\r\n\r\n";
    for (String coding : List.of("xchunked", "gzip, chunked", "chunked, identity")) {
      Answer answer = exchange(gateway.config().httpPort(), "POST /v1/apps HTTP/1.1\r\nHost: x\r\n" + ADMIN
          + "Content-Type: application/json\r\nTransfer-Encoding: " + coding + "\r\n\r\n" + hidden);
      assertEquals(400, answer.status(), coding + ": " + answer.text());
      assertEquals("invalid_request", answer.json().getString("error"), answer.text());
      assertNotNull(answer.header("X-Request-Id"), answer.text());
      assertEquals(1, answer.statusLines(), "one answer only, the hidden request unanswered: " + answer.text());
      assertTrue(answer.closed(), "the connection closes after: " + answer.text());
    }
    Answer twice = exchange(gateway.config().httpPort(), "POST /v1/apps HTTP/1.1\r\nHost: x\r\n" + ADMIN
        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    assertEquals(400, twice.status(), twice.text());
  }

  @Test
  @DisplayName("a chunked request that also gave a Content-Length is answered once, with Connection: close, and a "
      + "request hidden after its last chunk is never answered (h92: two answers on a kept connection)")
  void chunkedWithLength() {
    String hidden = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
    String body = "0\r\n\r\n" + hidden;
    Answer answer = exchange(gateway.config().httpPort(), "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
        + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\nTransfer-Encoding: chunked\r\n"
        + "\r\n" + body);
    assertEquals(1, answer.statusLines(), "one answer only: " + answer.text());
    assertEquals("close", answer.header("Connection"), answer.text());
    assertTrue(answer.closed(), "the connection closes after: " + answer.text());
    // Nothing after its last chunk: the connection closes all the same, as its answer said (h95: left open).
    Answer alone = exchange(gateway.config().httpPort(), "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
    assertEquals(1, alone.statusLines(), alone.text());
    assertTrue(alone.closed(), "the connection closes after: " + alone.text());
  }

  @Test
  @DisplayName("a chunked request refused before any route's handler (a dot segment, two Authorization headers, no "
      + "Host) closes its connection once answered, not at the idle timeout")
  void chunkedRefusedEarly() {
    String chunked = "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    List<String> requests = List.of(
        "POST /v1/../auth/me HTTP/1.1\r\nHost: x\r\n" + chunked,
        "POST /auth/./me HTTP/1.1\r\nHost: x\r\n" + chunked,
        "POST /auth/me HTTP/1.1\r\nHost: x\r\n" + ADMIN + "Authorization: Basic eDp5\r\n" + chunked,
        "POST /auth/me HTTP/1.1\r\n" + chunked);
    for (String request : requests) {
      Answer answer = exchange(gateway.config().httpPort(), request);
      assertEquals(400, answer.status(), request + answer.text());
      assertEquals("close", answer.header("Connection"), answer.text());
      assertTrue(answer.closed(), "the connection closes after: " + request + answer.text());
    }
    Answer management = exchange(gateway.config().managementPort(), "POST /health HTTP/1.1\r\n" + chunked);
    assertEquals(400, management.status(), management.text());
    assertTrue(management.closed(), "the management port's connection closes after: " + management.text());
  }

  @Test
  @DisplayName("a form body with a malformed %-escape in the query string is answered at once, not left to the idle "
      + "timeout holding an admission slot (h92)")
  void formWithMalformedQuery() {
    for (String path : List.of("/oidc/" + java.util.UUID.randomUUID() + "/token?x=%zz", "/auth/login?%")) {
      Answer answer = exchange(gateway.config().httpPort(), "POST " + path + " HTTP/1.1\r\nHost: x\r\n"
          + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\nConnection: close\r\n\r\n"
          + "grant_type");
      assertTrue(answer.status() >= 400 && answer.status() < 500, path + ": " + answer.text());
      assertNotNull(answer.json().getString("error"), answer.text());
    }
  }

  @Test
  @DisplayName("a form body on a GET or OPTIONS is 415 and its connection closes (h92: a 500 logged as a bug); the "
      + "form type without a body is no body; 2,000 form fields are 400 saying so, not a broken chunked framing")
  void formBodiesWhereNoneBelongs() {
    for (String method : List.of("GET", "OPTIONS")) {
      Answer answer = exchange(gateway.config().httpPort(), method + " /v1/apps HTTP/1.1\r\nHost: x\r\n" + ADMIN
          + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=1");
      assertEquals(415, answer.status(), method + ": " + answer.text());
      assertEquals("unsupported_media_type", answer.json().getString("error"), answer.text());
      assertTrue(answer.closed(), "the connection closes after: " + answer.text());
    }
    Answer empty = exchange(gateway.config().httpPort(), "GET /v1/apps HTTP/1.1\r\nHost: x\r\n" + ADMIN
        + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assertEquals(200, empty.status(), empty.text());

    String fields = String.join("&", java.util.Collections.nCopies(2_000, "p=1"));
    Answer many = exchange(gateway.config().httpPort(), "POST /oidc/" + java.util.UUID.randomUUID() + "/token "
        + "HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
        + fields.length() + "\r\nConnection: close\r\n\r\n" + fields);
    assertEquals(400, many.status(), many.text());
    assertTrue(many.json().getString("message", many.json().getString("error_description", "")).contains("too many"),
        many.text());
  }

  @Test
  @DisplayName("a malformed %-escape in a browser page's query string is answered with a page, as any other refusal "
      + "there is; on the API, in the JSON error contract (h92: JSON on the pages)")
  void malformedQueryOnPages() {
    String app = java.util.UUID.randomUUID().toString();
    for (String path : List.of("/onboarding/" + app + "?state=%zz", "/oidc/" + app + "/authorize?client_id=%zz",
        "/hosted/conversations/" + app + "?x=%zz")) {
      Answer answer = exchange(gateway.config().httpPort(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n"
          + "Connection: close\r\n\r\n");
      assertEquals(400, answer.status(), path + ": " + answer.text());
      assertTrue(String.valueOf(answer.header("Content-Type")).startsWith("text/html"), path + ": " + answer.text());
    }
    Answer api = exchange(gateway.config().httpPort(), "GET /v1/apps?limit=%zz HTTP/1.1\r\nHost: x\r\n" + ADMIN
        + "Connection: close\r\n\r\n");
    assertEquals(400, api.status(), api.text());
    assertEquals("invalid_request", api.json().getString("error"), api.text());
  }

  @Test
  @DisplayName("a multipart body on a JSON endpoint is 415, not an empty object that runs the call")
  void multipartOnJson() {
    String appId = gateway.createApp("multipart-json").getString("app_id");
    String body = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n--b--\r\n";
    ApiResponse rotated = gateway.http().send("POST", "/v1/apps/" + appId + "/rotate-signing-key", body,
        "Content-Type", "multipart/form-data; boundary=b", "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
    assertEquals(415, rotated.status(), rotated.body());
    assertEquals("unsupported_media_type", rotated.error());
    ApiResponse empty = gateway.http().send("POST", "/v1/apps/" + appId + "/rotate-signing-key", "",
        "Content-Type", "application/x-www-form-urlencoded", "Authorization", "Bearer " + TestGateway.ADMIN_KEY);
    assertEquals(200, empty.status(), "an empty body of any type is still no body: " + empty.body());
    Answer chunked = exchange(gateway.config().httpPort(), "POST /v1/apps/" + appId + "/rotate-signing-key HTTP/1.1\r\n"
        + "Host: x\r\nAuthorization: Bearer " + TestGateway.ADMIN_KEY + "\r\nContent-Type: application/x-www-form-urlencoded"
        + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n");
    assertEquals(200, chunked.status(), "nor is an empty chunked one (a client streaming nothing): " + chunked.text());
  }

  @Test
  @DisplayName("a multipart Content-Type with an empty or broken boundary is 400 invalid_request, not 500, wherever it "
      + "is sent (h55)")
  void brokenMultipartBoundary() {
    String app = java.util.UUID.randomUUID().toString();
    for (String type : List.of("multipart/form-data; boundary=", "multipart/form-data;boundary= ",
        "multipart/form-data; boundary=\"", "multipart/form-data; boundary=\";\"")) {
      for (String path : List.of("/auth/send-otp", "/v1/apps/" + app + "/roles", "/oidc/" + app + "/token", "/nope")) {
        ApiResponse answer = gateway.http().send("POST", path, "x", "Content-Type", type);
        assertEquals(400, answer.status(), type + " " + path + ": " + answer.body());
        assertEquals("invalid_request", answer.error(), type + " " + path + ": " + answer.body());
      }
    }
  }

  @Test
  @DisplayName("a body that does not arrive within 10 s of its request is 400 invalid_request and its connection "
      + "closed: a trickling client held its admission place for as long as it liked (h55)")
  void bodyDeadline() {
    long started = System.nanoTime();
    Answer answer = exchange(gateway.config().httpPort(), "POST /auth/challenge HTTP/1.1\r\nHost: x\r\n"
        + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{", false, 30_000);
    long seconds = (System.nanoTime() - started) / 1_000_000_000;
    assertEquals(400, answer.status(), answer.text());
    assertEquals("invalid_request", answer.json().getString("error"), answer.text());
    assertTrue(answer.closed(), "the connection is closed: " + answer.text());
    assertTrue(seconds >= 9 && seconds < 25, "answered after " + seconds + " s");
  }

  @Test
  @DisplayName("a request with two Authorization headers is 400 invalid_request whichever comes first, Bearer or Basic")
  void repeatedAuthorization() {
    JsonObject app = gateway.createApp("repeated-authorization");
    String good = "Authorization: Bearer " + TestGateway.ADMIN_KEY + "\r\n";
    String bad = "Authorization: Bearer not-the-key\r\n";
    for (String headers : List.of(good + bad, bad + good)) {
      Answer answer = exchange(gateway.config().httpPort(),
          "GET /v1/apps HTTP/1.1\r\nHost: x\r\n" + headers + "Connection: close\r\n\r\n");
      assertEquals(400, answer.status(), answer.text());
      assertEquals("invalid_request", answer.json().getString("error"), answer.text());
    }
    String basic = "Authorization: Basic " + java.util.Base64.getEncoder().encodeToString(
        (app.getString("app_id") + ":" + app.getString("app_secret")).getBytes(StandardCharsets.UTF_8)) + "\r\n";
    String body = "{\"email\":\"twice@example.com\"}";
    Answer client = exchange(gateway.config().httpPort(), "POST /auth/send-otp HTTP/1.1\r\nHost: x\r\n" + basic
        + "Authorization: Basic Zm9vOmJhcg==\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
        + "\r\nConnection: close\r\n\r\n" + body);
    assertEquals(400, client.status(), client.text());
    assertEquals("invalid_request", client.json().getString("error"), client.text());
  }

  @Test
  @DisplayName("a request with two Host headers is 400 invalid_request (RFC 9112 §3.2; h55)")
  void repeatedHost() {
    for (String path : List.of("/v1/apps", "/auth/me", "/oidc/" + java.util.UUID.randomUUID() + "/jwks.json")) {
      Answer answer = exchange(gateway.config().httpPort(),
          "GET " + path + " HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n" + ADMIN + "Connection: close\r\n\r\n");
      assertEquals(400, answer.status(), path + ": " + answer.text());
      assertEquals("invalid_request", answer.json().getString("error"), answer.text());
    }
  }

  @Test
  @DisplayName("OPTIONS * carries a request id, and a malformed %-escape on the management port answers JSON")
  void asteriskAndManagementEscape() {
    Answer asterisk = exchange(gateway.config().httpPort(), "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertEquals(404, asterisk.status(), asterisk.text());
    assertNotNull(asterisk.header("X-Request-Id"), asterisk.text());
    Answer escape = exchange(gateway.config().managementPort(), "GET /health/% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertEquals(400, escape.status(), escape.text());
    assertEquals("invalid_request", escape.json().getString("error"), escape.text());
    assertNotNull(escape.header("X-Request-Id"), escape.text());
  }

  /** What came back on one connection: every byte until the server closed it (or went quiet for 5 s). */
  record Answer(String text, boolean closed) {

    int status() {
      Matcher line = STATUS_LINE.matcher(text);
      return line.find() ? Integer.parseInt(line.group(1)) : -1;
    }

    int statusLines() {
      return (int) STATUS_LINE.matcher(text).results().count();
    }

    String header(String name) {
      String head = text.contains("\r\n\r\n") ? text.substring(0, text.indexOf("\r\n\r\n")) : text;
      for (String line : head.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith(name.toLowerCase(Locale.ROOT) + ":")) {
          return line.substring(name.length() + 1).trim();
        }
      }
      return null;
    }

    JsonObject json() {
      int start = text.indexOf("\r\n\r\n");
      assertFalse(start < 0, "no body: " + text);
      String body = text.substring(start + 4);
      int end = body.indexOf("HTTP/1.");
      return new JsonObject(end > 0 ? body.substring(0, end) : body);
    }
  }

  static Answer exchange(int port, String request) {
    return exchange(port, request, false);
  }

  /** {@code oneAnswer}: read one answer (by its Content-Length), not until the server closes or 5 s pass. */
  static Answer exchange(int port, String request, boolean oneAnswer) {
    return exchange(port, request, oneAnswer, 5_000);
  }

  /** {@code quietMs}: how long a read waits for more before the connection counts as open. */
  static Answer exchange(int port, String request, boolean oneAnswer, int quietMs) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(quietMs);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream read = new ByteArrayOutputStream();
      byte[] buffer = new byte[4096];
      boolean closed = true;
      try {
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          read.write(buffer, 0, n);
          if (oneAnswer && whole(read.toString(StandardCharsets.ISO_8859_1))) {
            break;
          }
        }
      } catch (SocketTimeoutException open) {
        closed = false;
      } catch (IOException reset) {
        closed = true; // a reset after the answer is a close too
      }
      return new Answer(read.toString(StandardCharsets.ISO_8859_1), closed);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether {@code text} holds an answer's head and as many body bytes as its Content-Length says. */
  private static boolean whole(String text) {
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    Matcher length = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(text.substring(0, end));
    return !length.find() || text.length() - end - 4 >= Integer.parseInt(length.group(1));
  }
}
