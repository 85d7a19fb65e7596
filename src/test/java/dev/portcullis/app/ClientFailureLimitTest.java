package dev.portcullis.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.PrometheusText;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("PORTCULLIS_CLIENT_FAILURES_PER_MINUTE_PER_IP: a flood of failed client authentications is cut off")
class ClientFailureLimitTest {

  private static final int LIMIT = 30;
  private static final int INSTANCES = 2;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .config(GatewayConfig.CLIENT_FAILURES_PER_MINUTE_PER_IP, LIMIT)
      .config(GatewayConfig.HTTP_INSTANCES, INSTANCES)
      .config(GatewayConfig.TRUSTED_PROXIES, "127.0.0.0/8");

  private static TestGateway gateway;
  private static JsonObject app;

  @BeforeAll
  static void start() {
    app = gateway.createApp("failure-limit");
  }

  /**
   * Until ten seconds of the fixed one-minute window are left at least: a flood (a few hundred requests, a second or
   * two) runs in one window, so its count is not split across two.
   */
  private static void awaitRoomInTheMinute() {
    Await.until("ten seconds left in the minute", Duration.ofSeconds(65),
        () -> System.currentTimeMillis() % 60_000 < 50_000);
  }

  private static ApiResponse refresh(String secret, String from) {
    return gateway.http().post("/auth/refresh", new JsonObject().put("app_id", app.getString("app_id"))
        .put("app_secret", secret).put("refresh_token", "not-a-token"), "X-Forwarded-For", from);
  }

  private static boolean authenticated(ApiResponse response) {
    return !"invalid_client".equals(response.error()) && response.status() != 429;
  }

  @Test
  @DisplayName("successes never count; beyond the limit of failures one IP gets 429 with Retry-After, others do not")
  void floodCutOff() {
    // The whole flood in one one-minute window.
    awaitRoomInTheMinute();
    String flooder = "198.51.100.23";
    for (int i = 0; i < 10 * LIMIT; i++) {
      ApiResponse success = refresh(app.getString("app_secret"), flooder);
      assertTrue(authenticated(success), "successes are never limited: " + i + " " + success);
    }
    int refused = 0;
    int rejected = 0;
    ApiResponse last = null;
    for (int i = 0; i < 2 * LIMIT; i++) {
      last = refresh("wrong-" + UUID.randomUUID(), flooder);
      if (last.status() == 429) {
        refused++;
      } else {
        assertEquals("invalid_client", last.error(), last.body());
        rejected++;
      }
    }
    assertEquals(429, last.status(), last.body());
    assertEquals("rate_limited", last.error());
    long retryAfter = Long.parseLong(last.header("Retry-After"));
    assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
    assertTrue(rejected <= LIMIT + 1, rejected + " failures answered 401 before the cut-off (every verticle hears of it)");
    assertTrue(refused >= LIMIT - INSTANCES, refused + " refused");
    assertTrue(PrometheusText.counter(gateway, "portcullis_client_auth_rate_limited_total") >= refused);

    // Another address, of the same network too, is not affected: its failures and successes are answered as ever.
    assertEquals(401, refresh("wrong", "198.51.100.24").status());
    assertTrue(authenticated(refresh(app.getString("app_secret"), "198.51.100.24")));
    assertEquals(401, refresh("wrong", "2001:db8::1").status());
    // The flooding address itself is refused whatever it presents, until the window ends (before any hash).
    assertEquals(429, refresh(app.getString("app_secret"), flooder).status());
    // ...but not its users' sign-in pages and JWKS, which need no client credentials (h89: a page's wrong client
    // secrets, posted by its visitors' browsers, had kept them from every app's sign-in).
    assertEquals(200, gateway.http().get("/v1/apps/" + app.getString("app_id") + "/jwks.json", "X-Forwarded-For",
        flooder).status());
  }

  @Test
  @DisplayName("once over the limit a caller is refused by every HTTP verticle, not only the one that counted it")
  void everyVerticleRefuses() throws Exception {
    awaitRoomInTheMinute();
    String flooder = "198.51.100.77";
    int answered401 = 0;
    for (int i = 0; i < 2 * LIMIT; i++) {
      // A connection each: the server hands new connections to its verticles in turn.
      if (statusOnNewConnection("wrong-" + i, flooder) == 401) {
        answered401++;
      }
    }
    assertTrue(answered401 <= LIMIT + 1, answered401 + " failures answered 401 across the verticles");
  }

  /** POST /auth/refresh on a connection of its own; the answer's status. */
  private static int statusOnNewConnection(String secret, String from) throws java.io.IOException {
    String body = new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", secret)
        .put("refresh_token", "not-a-token").encode();
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gateway.config().httpPort())) {
      socket.getOutputStream().write(("POST /auth/refresh HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
          + "X-Forwarded-For: " + from + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
          + "\r\n\r\n" + body).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String statusLine = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          java.nio.charset.StandardCharsets.US_ASCII)).readLine();
      return Integer.parseInt(statusLine.split(" ")[1]);
    }
  }

  @Test
  @DisplayName("random app ids on the anonymous routes count as failures; one stale id asked for again does not")
  void randomAppIdsCutOff() throws java.io.IOException {
    awaitRoomInTheMinute();
    String flooder = "198.51.100.150";
    double loadsBefore = PrometheusText.counter(gateway, "portcullis_app_cache_loads_total");
    List<String> routes = List.of("/oidc/%s/.well-known/openid-configuration", "/v1/apps/%s/jwks.json",
        "/onboarding/%s", "/oidc/%s/jwks.json");
    int notFound = 0;
    ApiResponse last = null;
    for (int i = 0; i < 2 * LIMIT; i++) {
      last = gateway.http().get(routes.get(i % routes.size()).formatted(UUID.randomUUID()), "X-Forwarded-For", flooder);
      if (last.status() != 429) {
        // The onboarding page refuses an unknown app as a bad link (400), the others as not found.
        assertTrue(last.status() == 404 || last.status() == 400, last.status() + " " + last.body());
        notFound++;
      }
    }
    assertEquals(429, last.status(), last.body());
    assertTrue(Long.parseLong(last.header("Retry-After")) >= 1);
    assertTrue(notFound <= LIMIT + 1, notFound + " unknown apps looked up before the cut-off");
    double loads = PrometheusText.counter(gateway, "portcullis_app_cache_loads_total") - loadsBefore;
    assertTrue(loads <= LIMIT + 1, loads + " database look-ups for " + 2 * LIMIT + " random ids");
    // Until the window ends the flooding address is refused any id not known to exist; another address is served, and
    // the flooder too for a real app once it is known, and its backend's credentials (h87: a page's random ids had
    // kept its visitors from the real app's sign-in and their backend from its credentials).
    assertEquals(429, gateway.http().get(routes.get(0).formatted(UUID.randomUUID()), "X-Forwarded-For", flooder)
        .status());
    String realDiscovery = "/oidc/" + app.getString("app_id") + "/.well-known/openid-configuration";
    assertEquals(200, gateway.http().get(realDiscovery, "X-Forwarded-For", "198.51.100.151").status());
    assertEquals(200, gateway.http().get(realDiscovery, "X-Forwarded-For", flooder).status());
    assertEquals(404, gateway.http().get("/v1/apps/not-a-uuid/jwks.json", "X-Forwarded-For", flooder).status(),
        "a malformed id costs no look-up: the route's own answer");
    assertTrue(authenticated(refresh(app.getString("app_secret"), flooder)), "its backend's credentials");
    // A change to the app other than its deletion leaves it known (h90: a rename had it refused to the address).
    assertEquals(200, gateway.http().send("PATCH", "/v1/apps/" + app.getString("app_id"),
        new JsonObject().put("name", "Failure limit renamed").encode(), "Content-Type", "application/json",
        "Authorization", "Bearer " + TestGateway.ADMIN_KEY).status());
    assertEquals(200, gateway.http().get(realDiscovery, "X-Forwarded-For", flooder).status(), "after a rename");

    // An id that no longer exists, asked for again and again (a stale configuration), counts once per process.
    String stale = "/oidc/" + UUID.randomUUID() + "/.well-known/openid-configuration";
    for (int i = 0; i < 3 * LIMIT; i++) {
      assertEquals(404, gateway.http().get(stale, "X-Forwarded-For", "198.51.100.152").status(), "request " + i);
    }
    // ...also when many ask at once, before it is remembered: they share one query, and count once (h86: 60 at once
    // counted 60, and their address was then refused the real app).
    String fresh = "/oidc/" + UUID.randomUUID() + "/.well-known/openid-configuration";
    List<java.net.Socket> together = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 2 * LIMIT; i++) {
        together.add(new java.net.Socket("127.0.0.1", gateway.config().httpPort()));
      }
      for (java.net.Socket socket : together) {
        socket.getOutputStream().write(("GET " + fresh + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            + "X-Forwarded-For: 198.51.100.153\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      }
      for (java.net.Socket socket : together) {
        String statusLine = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
            java.nio.charset.StandardCharsets.US_ASCII)).readLine();
        assertEquals("HTTP/1.1 404 Not Found", statusLine);
      }
    } finally {
      for (java.net.Socket socket : together) {
        socket.close();
      }
    }
    assertEquals(200, gateway.http().get(realDiscovery, "X-Forwarded-For", "198.51.100.153").status(),
        "the address is not refused");
  }

  @Test
  @DisplayName("an IPv6 /48 whose /64s each stay under the limit is cut off at five times it, other /48s are not "
      + "(one stranger's 65,536 /64s, 600 look-ups a minute each)")
  void randomAppIdsFromOneSite() {
    awaitRoomInTheMinute();
    String discovery = "/oidc/%s/.well-known/openid-configuration";
    assertEquals(200, gateway.http().get(discovery.formatted(app.getString("app_id")), "X-Forwarded-For",
        "2001:db8:79::1").status(), "the real app, asked for: known to exist");
    int lookedUp = 0;
    for (int network = 1; network <= 2 * ClientFailures.SITE_FACTOR; network++) {
      for (int i = 0; i < LIMIT; i++) {
        ApiResponse response = gateway.http().get(discovery.formatted(UUID.randomUUID()),
            "X-Forwarded-For", "2001:db8:77:" + network + "::1");
        if (response.status() == 429) {
          break;
        }
        assertEquals(404, response.status(), response.body());
        lookedUp++;
      }
    }
    assertTrue(lookedUp <= LIMIT * ClientFailures.SITE_FACTOR + 2, lookedUp + " look-ups from one /48");
    ApiResponse refused = gateway.http().get(discovery.formatted(UUID.randomUUID()), "X-Forwarded-For",
        "2001:db8:77:ffff::9");
    assertEquals(429, refused.status(), "a /64 of that /48 that made no request yet");
    assertTrue(refused.body().contains("from this network"), refused.body());
    assertEquals(404, gateway.http().get(discovery.formatted(UUID.randomUUID()), "X-Forwarded-For",
        "2001:db8:78:1::1").status(), "another /48");
    assertEquals(200, gateway.http().get(discovery.formatted(app.getString("app_id")), "X-Forwarded-For",
        "2001:db8:77:ffff::9").status(), "an app known to exist is still served there");
  }

  @Test
  @DisplayName("random conversation links count as anonymous failures: beyond the limit, 429 before any query "
      + "(h91: 500 random links, 500 queries)")
  void randomConversationLinksCutOff() {
    awaitRoomInTheMinute();
    String flooder = "198.51.100.160";
    int notFound = 0;
    ApiResponse last = null;
    for (int i = 0; i < 2 * LIMIT; i++) {
      last = gateway.http().get("/hosted/conversations/" + UUID.randomUUID(), "X-Forwarded-For", flooder);
      if (last.status() != 429) {
        assertEquals(404, last.status(), last.body());
        notFound++;
      }
    }
    assertEquals(429, last.status(), last.body());
    assertTrue(last.body().contains("Too many attempts from your network"), last.body());
    assertTrue(Long.parseLong(last.header("Retry-After")) >= 1);
    assertTrue(notFound <= LIMIT + 1, notFound + " unknown links looked up before the cut-off");
    assertEquals(404, gateway.http().get("/hosted/conversations/" + UUID.randomUUID(), "X-Forwarded-For",
        "198.51.100.161").status(), "another address is still looked up");
  }

  @Test
  @DisplayName("random app ids asked for all at once from one address cost no more queries than its limit (h88: 77 "
      + "for a limit of 20 with 100 in flight, each passing the check before any miss was counted)")
  void randomAppIdsAtOnce() throws java.io.IOException {
    awaitRoomInTheMinute();
    double loadsBefore = PrometheusText.counter(gateway, "portcullis_app_cache_loads_total");
    List<java.net.Socket> together = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 3 * LIMIT; i++) {
        together.add(new java.net.Socket("127.0.0.1", gateway.config().httpPort()));
      }
      for (java.net.Socket socket : together) {
        socket.getOutputStream().write(("GET /v1/apps/" + UUID.randomUUID() + "/jwks.json HTTP/1.1\r\nHost: localhost\r\n"
            + "Connection: close\r\nX-Forwarded-For: 198.51.100.160\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      }
      for (java.net.Socket socket : together) {
        String statusLine = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
            java.nio.charset.StandardCharsets.US_ASCII)).readLine();
        assertTrue("HTTP/1.1 404 Not Found".equals(statusLine) || "HTTP/1.1 429 Too Many Requests".equals(statusLine),
            statusLine);
      }
    } finally {
      for (java.net.Socket socket : together) {
        socket.close();
      }
    }
    double loads = PrometheusText.counter(gateway, "portcullis_app_cache_loads_total") - loadsBefore;
    // The limit, what each verticle has in flight when it is passed, and as much again while the other verticle
    // hears of the block (without the cap in flight: one look-up per id, 90).
    assertTrue(loads <= LIMIT + 1 + 2 * INSTANCES * AppIdGuard.LOOKUPS_IN_FLIGHT_PER_ADDRESS,
        loads + " database look-ups for " + 3 * LIMIT + " random ids at once");
  }

  @Test
  @DisplayName("many real apps asked for at once from one address, none known to the process yet, are all served "
      + "(h89: beyond four at once they were refused)")
  void realAppsAtOnce() throws java.io.IOException {
    List<String> ids = java.util.stream.IntStream.range(0, 10)
        .mapToObj(i -> gateway.createApp("at-once-" + i).getString("app_id")).toList();
    List<java.net.Socket> together = new java.util.ArrayList<>();
    try {
      for (String id : ids) {
        java.net.Socket socket = new java.net.Socket("127.0.0.1", gateway.config().httpPort());
        together.add(socket);
        socket.getOutputStream().write(("GET /v1/apps/" + id + "/jwks.json HTTP/1.1\r\nHost: localhost\r\n"
            + "Connection: close\r\nX-Forwarded-For: 198.51.100.170\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      }
      for (java.net.Socket socket : together) {
        assertEquals("HTTP/1.1 200 OK", new java.io.BufferedReader(new java.io.InputStreamReader(
            socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII)).readLine());
      }
    } finally {
      for (java.net.Socket socket : together) {
        socket.close();
      }
    }
  }

  @Test
  @DisplayName("an IPv6 caller is limited by its /64")
  void ipv6ByNetwork() {
    awaitRoomInTheMinute();
    ApiResponse last = null;
    for (int i = 0; i < 2 * LIMIT; i++) {
      last = refresh("wrong", "2001:db8:0:77::" + Integer.toHexString(i + 1));
    }
    assertEquals(429, last.status());
    assertNotEquals(429, refresh("wrong", "2001:db8:0:78::1").status());
  }
}
