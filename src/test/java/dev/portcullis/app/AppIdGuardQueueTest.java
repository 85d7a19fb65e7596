package dev.portcullis.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.LogCapture;
import dev.portcullis.testing.PrometheusText;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestGateway;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One event loop, a short backend timeout, and look-ups held up by a lock on the apps table. */
@DisplayName("Look-ups of unknown app ids waiting their turn while Postgres is slow")
@RunsAlone
class AppIdGuardQueueTest {

  private static final int TIMEOUT_MS = 2_000;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .config(GatewayConfig.HTTP_INSTANCES, 1)
      .config(GatewayConfig.BACKEND_TIMEOUT_MS, TIMEOUT_MS)
      .config(GatewayConfig.TRUSTED_PROXIES, "127.0.0.0/8");

  private static TestGateway gateway;

  private static Socket ask(String path, String from) throws IOException {
    Socket socket = new Socket("127.0.0.1", gateway.config().httpPort());
    socket.setSoTimeout(30_000);
    socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        + "X-Forwarded-For: " + from + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    return socket;
  }

  private static String status(Socket socket) throws IOException {
    try (socket) {
      return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }
  }

  @Test
  @DisplayName("when Postgres cannot answer, the requests waiting behind the look-ups are answered 503 at once, not "
      + "one look-up after another past the connections' idle timeout (h90: 24 of 80 closed unanswered)")
  void waitingAnsweredWhenTheStoreFails() throws Exception {
    try (Connection db = gateway.jdbc(); Statement lock = db.createStatement()) {
      db.setAutoCommit(false);
      lock.execute("LOCK TABLE apps IN ACCESS EXCLUSIVE MODE");
      long started = System.nanoTime();
      List<Socket> asked = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        asked.add(ask("/oidc/" + UUID.randomUUID() + "/.well-known/openid-configuration", "198.51.100.180"));
      }
      for (Socket socket : asked) {
        String status = status(socket);
        assertTrue(status != null && status.startsWith("HTTP/1.1 503"), String.valueOf(status));
      }
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      // One look-up after another, 40 requests four at a time would take ten timeouts (20 s); all at once, about one.
      assertTrue(tookMs < 5 * TIMEOUT_MS, "answered in " + tookMs + " ms");
      db.rollback();
    }
  }

  @Test
  @DisplayName("a look-up that Postgres could not answer is answered 503 by the guard, not handed to the route to "
      + "wait on the same query a second time (h91: twice the backend timeout, two queries)")
  void failedLookUpNotRepeated() throws Exception {
    double before = PrometheusText.counter(gateway, "portcullis_app_cache_loads_total");
    try (Connection db = gateway.jdbc(); Statement lock = db.createStatement()) {
      db.setAutoCommit(false);
      lock.execute("LOCK TABLE apps IN ACCESS EXCLUSIVE MODE");
      String status = status(ask("/oidc/" + UUID.randomUUID() + "/.well-known/openid-configuration",
          "198.51.100.182"));
      db.rollback();
      assertTrue(status != null && status.startsWith("HTTP/1.1 503"), String.valueOf(status));
    }
    assertEquals(1, PrometheusText.counter(gateway, "portcullis_app_cache_loads_total") - before, 0.0);
  }

  @Test
  @DisplayName("a page answered 503 because Postgres could not answer logs why, once, with its request id, as the "
      + "API's 503s do (h55: the pages' 503s had only their access line)")
  void pageUnavailableIsLogged() throws Exception {
    try (LogCapture logs = new LogCapture(); Connection db = gateway.jdbc(); Statement lock = db.createStatement()) {
      db.setAutoCommit(false);
      lock.execute("LOCK TABLE apps IN ACCESS EXCLUSIVE MODE");
      ApiResponse page = gateway.http().send("GET", "/onboarding/" + UUID.randomUUID()
          + "?callback_url=https%3A%2F%2Fcb.example.com%2Fcb&state=s", null, "X-Forwarded-For", "198.51.100.183");
      db.rollback();
      assertEquals(503, page.status(), page.body());
      String id = page.header("X-Request-Id");
      List<String> lines = logs.lines().stream().filter(line -> line.contains(id) && line.contains("answered 503"))
          .toList();
      assertEquals(1, lines.size(), logs.lines().toString());
      assertTrue(lines.get(0).contains("unavailable"), lines.get(0));
    }
  }

  @Test
  @DisplayName("a 503 whose client left first is logged as not answered, not as answered (h104: the shutdown's drain "
      + "closed a connection and the log said 'answered 503')")
  void unavailableAfterTheClientLeft() throws Exception {
    String id = UUID.randomUUID().toString();
    try (LogCapture logs = new LogCapture(); Connection db = gateway.jdbc(); Statement lock = db.createStatement()) {
      db.setAutoCommit(false);
      lock.execute("LOCK TABLE apps IN ACCESS EXCLUSIVE MODE");
      ask("/oidc/" + id + "/.well-known/openid-configuration", "198.51.100.184").close();
      Await.until("the look-up's 503 logged", Duration.ofSeconds(3L * TIMEOUT_MS / 1000),
          () -> logs.lines().stream().anyMatch(line -> line.contains(id) && line.contains("503")));
      db.rollback();
      List<String> lines = logs.lines().stream().filter(line -> line.contains(id) && line.contains("503")).toList();
      assertEquals(1, lines.size(), lines.toString());
      assertTrue(lines.get(0).contains("not answered, its connection closed first"), lines.get(0));
    }
  }

  @Test
  @DisplayName("requests for one id while its look-up is slow share that look-up however long it takes (h90: a new "
      + "query every half second)")
  void slowLookUpShared() throws Exception {
    String id = UUID.randomUUID().toString();
    double before = PrometheusText.counter(gateway, "portcullis_app_cache_loads_total");
    try (Connection db = gateway.jdbc(); Statement lock = db.createStatement()) {
      db.setAutoCommit(false);
      lock.execute("LOCK TABLE apps IN ACCESS EXCLUSIVE MODE");
      List<Socket> asked = new ArrayList<>();
      // Longer than the directory's half-second cache, shorter than the backend timeout.
      long until = System.nanoTime() + TIMEOUT_MS / 2 * 1_000_000L;
      while (System.nanoTime() < until) {
        asked.add(ask("/oidc/" + id + "/.well-known/openid-configuration", "198.51.100.181"));
        java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L); // a request every 20 ms: the load's pace
      }
      db.rollback();
      for (Socket socket : asked) {
        status(socket);
      }
    }
    assertEquals(1, PrometheusText.counter(gateway, "portcullis_app_cache_loads_total") - before, 0.0);
  }
}
