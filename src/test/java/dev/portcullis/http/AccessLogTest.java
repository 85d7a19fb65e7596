package dev.portcullis.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.ConsoleAppender;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import net.logstash.logback.encoder.LogstashEncoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("Logs: one access line per request, the request id on every line of its work, JSON or text")
class AccessLogTest {

  private static final Logger ROOT = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private static final Logger ACCESS = (Logger) LoggerFactory.getLogger("portcullis.access");

  private static TestGateway gateway;
  private static Capture capture;
  private static Level accessLevel;

  /** Every event of the JVM while attached. */
  private static final class Capture extends AppenderBase<ILoggingEvent> {

    final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
      event.prepareForDeferredProcessing();
      events.add(event);
    }
  }

  @BeforeAll
  static void start() {
    accessLevel = ACCESS.getLevel();
    ACCESS.setLevel(Level.INFO);
    capture = new Capture();
    capture.start();
    ROOT.addAppender(capture);
    gateway = TestGateway.start();
  }

  @AfterAll
  static void stop() {
    gateway.close();
    ROOT.detachAppender(capture);
    ACCESS.setLevel(accessLevel);
  }

  @Test
  @DisplayName("a request answered gets one access line with its id, method, route template, status, duration and app")
  void accessLine() {
    String appId = gateway.createApp("access-log").getString("app_id");
    ApiResponse jwks = gateway.http().get("/v1/apps/" + appId + "/jwks.json", "X-Request-Id", "caller-id-42");
    assertEquals(200, jwks.status());
    Await.until("the access line", Duration.ofSeconds(5), () -> !access("caller-id-42").isEmpty());
    List<String> lines = access("caller-id-42");
    assertEquals(1, lines.size(), lines.toString());
    String line = lines.get(0);
    assertTrue(line.contains("method=GET"), line);
    assertTrue(line.contains("route=/v1/apps/:app_id/jwks.json"), line);
    assertTrue(line.contains("status=200"), line);
    assertTrue(line.contains("duration_ms="), line);
    assertTrue(line.contains("app_id=" + appId), line);

    ApiResponse slashed = gateway.http().get("/v1/apps/" + appId + "/jwks.json/", "X-Request-Id", "caller-id-slash");
    assertEquals(200, slashed.status(), "the router serves a trailing slash");
    Await.until("the access line", Duration.ofSeconds(5), () -> !access("caller-id-slash").isEmpty());
    assertTrue(access("caller-id-slash").get(0).contains("route=/v1/apps/:app_id/jwks.json "),
        "logged by the template it was served by: " + access("caller-id-slash"));
  }

  @Test
  @DisplayName("a request whose app only its body or token names (a licence call) logs that app once it is known")
  void appFromTheKey() {
    String appId = gateway.createApp("access-log-licence").getString("app_id");
    String[] admin = Http.bearer(TestGateway.ADMIN_KEY);
    String policy = gateway.http().post("/v1/apps/" + appId + "/license-policies",
        new JsonObject().put("name", "basic").put("max_devices", 1), admin).json().getString("policy_id");
    String key = gateway.http().post("/v1/apps/" + appId + "/licenses", new JsonObject().put("policy_id", policy), admin)
        .json().getString("key");
    ApiResponse verified = gateway.http().post("/licenses/verify", new JsonObject().put("app_id", appId)
        .put("key", key), "X-Request-Id", "caller-id-licence");
    assertEquals(200, verified.status(), verified.body());
    Await.until("the access line", Duration.ofSeconds(5), () -> !access("caller-id-licence").isEmpty());
    assertTrue(access("caller-id-licence").get(0).contains("app_id=" + appId), access("caller-id-licence").toString());
  }

  @Test
  @DisplayName("a failed or unknown route is logged by its template or as unmatched, never by its raw path")
  void noRawPath() {
    gateway.http().get("/v1/apps/not-a-uuid-secret-path", "X-Request-Id", "caller-id-404");
    gateway.http().get("/nothing/here/at-all", "X-Request-Id", "caller-id-none");
    Await.until("the access lines", Duration.ofSeconds(5),
        () -> !access("caller-id-404").isEmpty() && !access("caller-id-none").isEmpty());
    assertTrue(access("caller-id-404").get(0).contains("route=/v1/apps/:app_id "), access("caller-id-404").toString());
    assertTrue(access("caller-id-404").get(0).contains("status=401"), access("caller-id-404").toString());
    assertTrue(access("caller-id-none").get(0).contains("route=unmatched"), access("caller-id-none").toString());
    assertFalse(access("caller-id-404").get(0).contains("secret-path"));
  }

  @Test
  @DisplayName("a path with a malformed %-escape logs its 400 as unmatched, with no error logged")
  void malformedEscape() {
    MalformedRequestsTest.Answer answer = MalformedRequestsTest.exchange(gateway.config().httpPort(),
        "GET /v1/apps/%/secret-x HTTP/1.1\r\nHost: x\r\nX-Request-Id: caller-id-escape\r\nConnection: close\r\n\r\n");
    assertEquals(400, answer.status(), answer.text());
    Await.until("the access line", Duration.ofSeconds(5), () -> !access("caller-id-escape").isEmpty());
    String line = access("caller-id-escape").get(0);
    assertTrue(line.contains("route=unmatched") && line.contains("status=400"), line);
    assertFalse(line.contains("secret-x"), line);
    assertEquals(List.of(), errors("caller-id-escape"));
  }

  @Test
  @DisplayName("a request without a Host header, with a Transfer-Encoding other than chunked, or whose chunks cannot "
      + "be read logs its 400 and no error")
  void refusedRequests() {
    MalformedRequestsTest.exchange(gateway.config().httpPort(),
        "GET /v1/apps HTTP/1.1\r\nX-Request-Id: caller-id-no-host\r\nConnection: close\r\n\r\n");
    MalformedRequestsTest.exchange(gateway.config().httpPort(), "POST /v1/apps HTTP/1.1\r\nHost: x\r\n"
        + "X-Request-Id: caller-id-chunk\r\nAuthorization: Bearer " + TestGateway.ADMIN_KEY + "\r\n"
        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
    MalformedRequestsTest.exchange(gateway.config().httpPort(), "POST /v1/apps HTTP/1.1\r\nHost: x\r\n"
        + "X-Request-Id: caller-id-te\r\nTransfer-Encoding: xchunked\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    Await.until("the access lines", Duration.ofSeconds(5), () -> !access("caller-id-no-host").isEmpty()
        && !access("caller-id-chunk").isEmpty() && !access("caller-id-te").isEmpty());
    assertTrue(access("caller-id-te").get(0).contains("status=400"), access("caller-id-te").toString());
    assertTrue(access("caller-id-no-host").get(0).contains("status=400"), access("caller-id-no-host").toString());
    assertTrue(access("caller-id-chunk").get(0).contains("status=400"), access("caller-id-chunk").toString());
    assertEquals(List.of(), errors("caller-id-no-host"));
    assertEquals(List.of(), errors("caller-id-chunk"));
  }

  @Test
  @DisplayName("a request whose client left before the body was whole is logged as aborted (status 0), not 200")
  void abortedRequest() throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gateway.config().httpPort())) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(("POST /v1/apps HTTP/1.1\r\nHost: x\r\nX-Request-Id: caller-id-left\r\n"
          + "Authorization: Bearer " + TestGateway.ADMIN_KEY + "\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\nExpect: 100-continue\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      // The body handler's 100 Continue: the request is being served, waiting for its body
      byte[] interim = new byte[25];
      assertTrue(socket.getInputStream().read(interim) > 0);
      assertTrue(new String(interim, java.nio.charset.StandardCharsets.US_ASCII).startsWith("HTTP/1.1 100"));
      socket.getOutputStream().write("{\"name\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
    }
    Await.until("the access line", Duration.ofSeconds(5), () -> !access("caller-id-left").isEmpty());
    assertTrue(access("caller-id-left").get(0).contains("status=0 "), access("caller-id-left").toString());
  }

  @Test
  @DisplayName("every log line written while serving a request carries its id, in the service verticles too")
  void requestIdOnEveryLine() {
    JsonObject app = gateway.createApp("access-log-otp");
    ApiResponse sent = gateway.http().post("/auth/send-otp", new JsonObject()
        .put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"))
        .put("email", "logged@example.com"), "X-Request-Id", "caller-id-otp");
    assertEquals(200, sent.status(), sent.body());
    Await.until("the log channel's line", Duration.ofSeconds(5), () -> capture.events.stream()
        .anyMatch(event -> event.getLoggerName().endsWith("LogChannel")
            && event.getFormattedMessage().contains(sent.json().getString("otp_request_id"))));
    ILoggingEvent line = capture.events.stream()
        .filter(event -> event.getLoggerName().endsWith("LogChannel")
            && event.getFormattedMessage().contains(sent.json().getString("otp_request_id")))
        .findFirst()
        .orElseThrow();
    assertEquals("caller-id-otp", line.getMDCPropertyMap().get("request_id"));
    assertTrue(capture.events.stream()
        .filter(event -> event.getLoggerName().equals("portcullis.access"))
        .allMatch(event -> event.getFormattedMessage().contains("request_id=" + event.getMDCPropertyMap().get("request_id"))),
        "access lines carry their own request's id");
  }

  @Test
  @DisplayName("requests answered after a Redis or Postgres reply log their own id, not the id of the request that "
      + "opened the connection")
  void requestIdAfterClientReplies() {
    JsonObject app = gateway.createApp("access-log-replies");
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 16; i++) {
      String id = "reply-id-" + i;
      ids.add(id);
      // A wrong secret or an unknown app: the client-failure counter in Redis, then the refusal; every other one a
      // refresh of an unknown token, which reads Postgres before its refusal.
      JsonObject body = new JsonObject().put("app_id", i % 4 == 0 ? "not-an-app" : app.getString("app_id"))
          .put("app_secret", i % 2 == 0 ? "wrong" : app.getString("app_secret"));
      String path = i % 2 == 0 ? "/auth/send-otp" : "/auth/refresh";
      body.put(i % 2 == 0 ? "email" : "refresh_token", i % 2 == 0 ? "r@example.com" : "unknown-" + i);
      assertEquals(401, gateway.http().post(path, body, "X-Request-Id", id).status());
    }
    Await.until("the access lines", Duration.ofSeconds(5), () -> ids.stream().allMatch(id -> !access(id).isEmpty()));
    for (ILoggingEvent line : capture.events.stream().filter(event -> event.getLoggerName().equals("portcullis.access")
        && event.getFormattedMessage().contains("request_id=reply-id-")).toList()) {
      assertTrue(line.getFormattedMessage().startsWith("request_id=" + line.getMDCPropertyMap().get("request_id") + " "),
          "the line's MDC id is its own: " + line.getMDCPropertyMap() + " " + line.getFormattedMessage());
      assertEquals(0, line.getArgumentArray() == null ? 0 : java.util.Arrays.stream(line.getArgumentArray())
          .filter(arg -> arg.toString().startsWith("request_id=")).count(), "no second request_id field in JSON lines");
    }
  }

  @Test
  @DisplayName("PORTCULLIS_LOG_FORMAT=json selects JSON lines, and text is the default")
  void formats() throws Exception {
    assertEquals(LogstashEncoder.class, rootEncoder("json").getClass());
    assertFalse(rootEncoder("text") instanceof LogstashEncoder);
    assertFalse(rootEncoder(null) instanceof LogstashEncoder);
  }

  /**
   * An operator who copies the packaged configuration and turns the root logger to DEBUG to troubleshoot must not
   * get codes in the log: at DEBUG the Vert.x SMTP client logs every message it sends, code and address included
   * (secrets probe).
   */
  @Test
  @DisplayName("with the root logger at DEBUG the SMTP client's conversation (codes, full addresses) is still not logged")
  void smtpConversationNeverLogged() throws Exception {
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(AccessLogTest.class.getResource("/logback.xml"));
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.DEBUG);
    assertTrue(context.getLogger("dev.portcullis.otp.OtpSender").isDebugEnabled(), "the root level applies");
    assertFalse(context.getLogger("io.vertx.ext.mail.impl.SMTPConnection").isDebugEnabled());
    assertFalse(context.getLogger("io.vertx.ext.mail.impl.SMTPSendMail").isDebugEnabled());
    context.stop();
  }

  private static Object rootEncoder(String format) throws Exception {
    LoggerContext context = new LoggerContext();
    if (format != null) {
      context.putProperty("PORTCULLIS_LOG_FORMAT", format);
    }
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(AccessLogTest.class.getResource("/logback.xml"));
    ConsoleAppender<?> appender = (ConsoleAppender<?>) context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
        .iteratorForAppenders().next();
    assertNotNull(appender);
    Object encoder = appender.getEncoder();
    context.stop();
    return encoder;
  }

  /** The WARN and ERROR lines logged while serving the request. */
  private static List<String> errors(String requestId) {
    return capture.events.stream()
        .filter(event -> event.getLevel().isGreaterOrEqual(Level.WARN))
        .filter(event -> requestId.equals(event.getMDCPropertyMap().get("request_id"))
            || event.getFormattedMessage().contains(requestId))
        .map(event -> event.getLevel() + " " + event.getFormattedMessage())
        .toList();
  }

  private static List<String> access(String requestId) {
    return capture.events.stream()
        .filter(event -> event.getLoggerName().equals("portcullis.access"))
        .map(ILoggingEvent::getFormattedMessage)
        .filter(line -> line.contains("request_id=" + requestId))
        .toList();
  }
}
