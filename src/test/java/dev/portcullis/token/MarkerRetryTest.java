package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Redis revocation marker cannot be written: the gateway talks to Redis as an ACL user that may read every
 * key but, for a while, write none of its {@code revoked:} markers (a real refusal, {@code NOPERM}, of this
 * gateway only). The revocation is still acknowledged (it committed, with its event), {@code /auth/me} refuses
 * the session at once in the process that revoked it and within the view cache's age in another process, and
 * the marker appears once Redis takes it again.
 */
@DisplayName("Revocation marker: retried after the commit, /auth/me falls back to Postgres meanwhile")
class MarkerRetryTest {

  private static final String USER = "pc-revoke-" + UUID.randomUUID().toString().substring(0, 8);
  private static final String PASSWORD = UUID.randomUUID().toString();
  private static final String PREFIX = TestBackends.newRedisPrefix();

  private static final Vertx vertx = Vertx.vertx();

  private static TestGateway gateway;
  private static TestGateway sibling;
  private static JsonObject app;

  @BeforeAll
  static void start() {
    String url = TestBackends.redisUrl().replace("redis://", "redis://" + USER + ":" + PASSWORD + "@");
    acl("reset", "on", ">" + PASSWORD, "+@all", "&*", "~*");
    gateway = TestGateway.start(new JsonObject().put(GatewayConfig.REDIS_URL, url).put(GatewayConfig.REDIS_PREFIX, PREFIX));
    sibling = gateway.sibling();
    app = gateway.createApp("marker-retry");
  }

  @AfterAll
  static void stop() {
    if (sibling != null) {
      sibling.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    redis(Command.ACL, "DELUSER", USER);
    vertx.close();
  }

  @Test
  @DisplayName("with the marker write refused, logout is acknowledged, /auth/me answers session_revoked, the marker follows")
  void markerRetried() {
    UUID user = TokenFixture.user(gateway, app.getString("app_id"), "marker-retry@example.com");
    JsonObject tokens = TokenFixture.login(gateway, app.getString("app_id"), user);
    String access = tokens.getString("access_token");
    String session = TokenFixture.claims(access).getString("sid");
    // both processes have the live session in their view cache
    for (int i = 0; i < 4; i++) {
      assertEquals(200, TokenFixture.me(gateway.http(), access).status());
      assertEquals(200, TokenFixture.me(sibling.http(), access).status());
    }

    refuseMarkerWrites();
    try {
      ApiResponse logout = TokenFixture.logout(gateway.http(), app, tokens.getString("refresh_token"), false);
      assertEquals(200, logout.status(), logout.body());
      assertEquals(1, logout.json().getInteger("revoked"));
      assertEquals(0, gateway.redis(Command.EXISTS, PREFIX + "revoked:" + session).toInteger(),
          "the marker write must have been refused");
      for (int i = 0; i < 4; i++) { // every HTTP verticle of the process that revoked the session
        ApiResponse me = TokenFixture.me(gateway.http(), access);
        assertEquals(401, me.status(), me.body());
        assertEquals("session_revoked", me.error());
      }
      // another process: at most the age of its cached view (Introspection.VIEW_TTL_MS)
      Await.until("the other process refuses the session", Duration.ofMillis(Introspection.VIEW_TTL_MS + 3_000),
          () -> "session_revoked".equals(TokenFixture.me(sibling.http(), access).error()));
      assertEquals(0, gateway.redis(Command.EXISTS, PREFIX + "revoked:" + session).toInteger());
    } finally {
      acl("resetkeys", "~*");
    }
    Await.until("the marker written by a retry", Duration.ofSeconds(15),
        () -> gateway.redis(Command.EXISTS, PREFIX + "revoked:" + session).toInteger() == 1);
    assertEquals("session_revoked", TokenFixture.me(gateway.http(), access).error());
    String metrics = gateway.management().get("/metrics").body();
    assertTrue(metrics.contains("portcullis_revocation_marker_failures_total{outcome=\"retried\"}"), metrics);
  }

  /** Every key stays readable; keys under the prefix stay writable except the revoked: markers. */
  private static void refuseMarkerWrites() {
    String marker = "revoked:";
    String[] rules = new String[marker.length() + 2];
    rules[0] = "resetkeys";
    rules[1] = "%R~*";
    for (int i = 0; i < marker.length(); i++) {
      rules[i + 2] = "%W~" + PREFIX + marker.substring(0, i) + "[^" + marker.charAt(i) + "]*";
    }
    acl(rules);
  }

  private static void acl(String... rules) {
    Object[] args = new Object[rules.length + 2];
    args[0] = "SETUSER";
    args[1] = USER;
    System.arraycopy(rules, 0, args, 2, rules.length);
    redis(Command.ACL, args);
  }

  /** A command as Redis's default user, on a client of the test's own (the ACL user must exist before the gateway). */
  private static Response redis(Command command, Object... args) {
    Redis client = Redis.createClient(vertx, TestBackends.redisUrl());
    try {
      return client.send(Request.cmd(command, args)).await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      client.close();
    }
  }
}
