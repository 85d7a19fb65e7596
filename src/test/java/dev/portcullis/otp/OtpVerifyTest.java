package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("POST /auth/verify-otp")
class OtpVerifyTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().auditTap();

  // Set by env before any test of the class runs.
  private static WebhookReceiver receiver;
  private static TestGateway gateway;
  private static AuditTap audit;

  @Test
  @DisplayName("the right code answers the token response and creates the user on first login only")
  void firstAndSecondLogin() throws Exception {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-login", new JsonObject().put("otp_resend_cooldown", 0));
    String first = client.sent("email", "Kim@Example.com");
    ApiResponse created = client.verify(first, receiver.awaitCode(first));
    assertEquals(200, created.status(), created.body());
    JsonObject body = created.json();
    assertEquals("Bearer", body.getString("token_type"));
    assertNotNull(body.getString("access_token"));
    assertNotNull(body.getString("refresh_token"));
    assertEquals(900, body.getInteger("expires_in"));
    assertEquals(2592000, body.getInteger("refresh_expires_in"), "the whole refresh_token_ttl, also for a new user");
    assertEquals(true, body.getBoolean("new_user"));
    JsonObject user = body.getJsonObject("user");
    assertEquals("kim@example.com", user.getString("email"));
    assertNull(user.getString("phone"));
    Instant.parse(user.getString("created_at"));
    assertTrue(user.getString("created_at").endsWith("Z"), "RFC 3339 UTC");

    ApiResponse me = gateway.http().get("/auth/me", Http.bearer(body.getString("access_token")));
    assertEquals(200, me.status(), me.body());
    assertEquals(user.getString("id"), me.json().getJsonObject("user").getString("id"));

    String second = client.sent("email", "kim@example.com");
    ApiResponse again = client.verify(second, receiver.awaitCode(second));
    assertEquals(200, again.status(), again.body());
    assertEquals(false, again.json().getBoolean("new_user"));
    assertEquals(user.getString("id"), again.json().getJsonObject("user").getString("id"));
    assertEquals(1, countUsers(client.appId(), "kim@example.com"));

    Await.until("otp.verified and user.created events", Duration.ofSeconds(5),
        () -> audit.events(AuditEvent.OTP_VERIFIED, first).size() == 1
            && audit.events(AuditEvent.USER_CREATED).stream().anyMatch(e -> user.getString("id").equals(e.getString("user_id"))));
    assertEquals(user.getString("id"), audit.events(AuditEvent.OTP_VERIFIED, first).get(0).getString("user_id"));
  }

  @Test
  @DisplayName("after a login the identity's state in Redis lives only for its resend cooldown; after a wrong code, a day")
  void stateOutlivesNoCooldown() {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-state-ttl", new JsonObject().put("otp_resend_cooldown", 30));
    String requestId = client.sent("email", "brief@example.com");
    assertEquals(401, client.verify(requestId, "000000".equals(receiver.awaitCode(requestId)) ? "111111" : "000000")
        .status());
    assertTrue(stateTtlMs(client) > 3_600_000, "a wrong code is remembered");
    assertEquals(200, client.verify(requestId, receiver.awaitCode(requestId)).status());
    long ttl = stateTtlMs(client);
    assertTrue(ttl > 0 && ttl <= 30_000, "the cooldown only, not a day: " + ttl + " ms");
  }

  private static long stateTtlMs(OtpClient client) {
    var keys = gateway.redis(Command.KEYS, gateway.redisPrefix() + "otp-id:{" + client.appId() + "}:*");
    assertEquals(1, keys.size(), "one identity state");
    return gateway.redis(Command.PTTL, keys.get(0).toString()).toLong();
  }

  @Test
  @DisplayName("an access token never outlives its session: exp and expires_in stop at the session's end (a resource "
      + "server checking tokens offline took one for access_token_ttl after the session ended)")
  void accessTokenEndsWithItsSession() {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-short-session",
        new JsonObject().put("access_token_ttl", 900).put("refresh_token_ttl", 300));
    String requestId = client.sent("email", "brief.session@example.com");
    ApiResponse response = client.verify(requestId, receiver.awaitCode(requestId));
    assertEquals(200, response.status(), response.body());
    int expiresIn = response.json().getInteger("expires_in");
    assertTrue(expiresIn <= 300 && expiresIn >= 290, "expires_in " + expiresIn);
    JsonObject claims = dev.portcullis.testing.JwtClaims.of(response.json().getString("access_token"));
    assertEquals(expiresIn, claims.getLong("exp") - claims.getLong("iat"));
  }

  @Test
  @DisplayName("a code typed in full-width digits is the code, as on the hosted pages (it was a wrong attempt)")
  void fullWidthDigits() {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-full-width", new JsonObject());
    String requestId = client.sent("email", "wide@example.com");
    StringBuilder wide = new StringBuilder();
    receiver.awaitCode(requestId).chars().forEach(digit -> wide.append((char) (0xFF10 + digit - '0')));
    ApiResponse response = client.verify(requestId, wide.toString());
    assertEquals(200, response.status(), response.body());
  }

  @Test
  @DisplayName("a phone login creates a user with the E.164 phone and no email")
  void phoneLogin() {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-phone", new JsonObject());
    String requestId = client.sent("phone", "+1 (415) 555-2671");
    ApiResponse response = client.verify(requestId, receiver.awaitCode(requestId));
    assertEquals(200, response.status(), response.body());
    JsonObject user = response.json().getJsonObject("user");
    assertEquals("+14155552671", user.getString("phone"));
    assertNull(user.getString("email"));
  }

  @Test
  @DisplayName("wrong codes are 401 otp_invalid counting down attempts_left, then the request is burned: "
      + "429 otp_attempts_exceeded, the right code included")
  void attemptsThenBurned() {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-burn", new JsonObject().put("otp_max_attempts", 3));
    String requestId = client.sent("email", "leo@example.com");
    String code = receiver.awaitCode(requestId);
    String wrong = wrongCode(code);
    for (int left = 2; left >= 0; left--) {
      ApiResponse response = client.verify(requestId, wrong);
      assertEquals(401, response.status(), response.body());
      assertEquals("otp_invalid", response.error());
      assertEquals(left, response.json().getInteger("attempts_left"));
    }
    for (String otp : List.of(wrong, code)) {
      ApiResponse burned = client.verify(requestId, otp);
      assertEquals(429, burned.status(), burned.body());
      assertEquals("otp_attempts_exceeded", burned.error());
      assertEquals(Long.parseLong(burned.header("Retry-After")), burned.json().getLong("retry_after"));
    }
    assertEquals(1, audit.events(AuditEvent.OTP_BURNED, requestId).size());
    String metrics = gateway.management().get("/metrics").body();
    assertTrue(metrics.contains("portcullis_otp_burned_total"), "burned counter");
    assertTrue(metrics.contains("portcullis_otp_failed_total{reason=\"invalid\"}"), "failed counter");
  }

  @Test
  @DisplayName("an unknown, malformed, expired or already used request is 401 otp_expired")
  void expiredUnknownUsed() {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-expired", new JsonObject().put("otp_resend_cooldown", 0));
    assertExpired(client.verify(UUID.randomUUID().toString(), "123456"));
    assertExpired(client.verify("not-a-request-id", "123456"));

    String expiring = client.sent("email", "mia@example.com");
    String expiringCode = receiver.awaitCode(expiring);
    gateway.redis(Command.PEXPIRE, gateway.redisPrefix() + "otp:{" + client.appId() + "}:" + expiring, "1");
    Await.until("the code to expire", Duration.ofSeconds(5), () -> gateway.redis(Command.EXISTS,
        gateway.redisPrefix() + "otp:{" + client.appId() + "}:" + expiring).toInteger() == 0);
    assertExpired(client.verify(expiring, expiringCode));

    String used = client.sent("email", "mia@example.com");
    String usedCode = receiver.awaitCode(used);
    assertEquals(200, client.verify(used, usedCode).status());
    assertExpired(client.verify(used, usedCode));
    assertTrue(gateway.management().get("/metrics").body().contains("portcullis_otp_verified_total{channel=\"email\"}"), "verified counter");
  }

  @Test
  @DisplayName("a new code for an identity invalidates the earlier one")
  void newCodeInvalidatesOld() {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-replace", new JsonObject().put("otp_resend_cooldown", 0));
    String old = client.sent("phone", "+44 20 7946 0958");
    String oldCode = receiver.awaitCode(old);
    String current = client.sent("phone", "+442079460958");
    assertExpired(client.verify(old, oldCode));
    assertEquals(200, client.verify(current, receiver.awaitCode(current)).status());
  }

  @Test
  @DisplayName("of 16 concurrent requests with the right code exactly one succeeds")
  void rightCodeRace() {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-race", new JsonObject());
    String requestId = client.sent("email", "nina@example.com");
    String code = receiver.awaitCode(requestId);
    List<ApiResponse> responses = all(16, i -> client.verifyAsync(requestId, code));
    Map<Integer, Long> byStatus = responses.stream().collect(Collectors.groupingBy(ApiResponse::status, Collectors.counting()));
    assertEquals(Map.of(200, 1L, 401, 15L), byStatus, responses.toString());
    assertTrue(responses.stream().filter(r -> r.status() == 401).allMatch(r -> "otp_expired".equals(r.error())));
    assertEquals(1, countUsers(client.appId(), "nina@example.com"));
  }

  @Test
  @DisplayName("a first login whose user another transaction is making waits for it, then signs in as that user")
  void firstLoginWhileTheUserIsBeingMade() throws Exception {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-user-race", new JsonObject());
    String requestId = client.sent("email", "quinn@example.com");
    String code = receiver.awaitCode(requestId);
    UUID made = UUID.randomUUID();
    try (Connection db = gateway.jdbc()) {
      db.setAutoCommit(false);
      try (PreparedStatement insert = db.prepareStatement("INSERT INTO users (id, app_id, email) VALUES (?, ?, ?)")) {
        insert.setObject(1, made);
        insert.setObject(2, UUID.fromString(client.appId()));
        insert.setString(3, "quinn@example.com");
        insert.executeUpdate();
      }
      CompletableFuture<ApiResponse> login = client.verifyAsync(requestId, code);
      Await.until("the sign-in to wait for the uncommitted user", Duration.ofSeconds(5), OtpVerifyTest::signInWaitsOnALock);
      db.commit();
      ApiResponse answer = login.join();
      assertEquals(200, answer.status(), answer.body());
      assertEquals(false, answer.json().getBoolean("new_user"));
      assertEquals(made.toString(), answer.json().getJsonObject("user").getString("id"));
    }
    assertEquals(1, countUsers(client.appId(), "quinn@example.com"));
    Await.until("otp.verified of the login", Duration.ofSeconds(5),
        () -> audit.events(AuditEvent.OTP_VERIFIED, requestId).size() == 1);
    assertEquals(made.toString(), audit.events(AuditEvent.OTP_VERIFIED, requestId).get(0).getString("user_id"));
  }

  private static boolean signInWaitsOnALock() {
    try (Connection db = gateway.jdbc();
         PreparedStatement query = db.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE "
             + "datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO sessions%'");
         ResultSet rows = query.executeQuery()) {
      rows.next();
      return rows.getInt(1) > 0;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @DisplayName("200 concurrent wrong guesses raise the attempts counter by exactly 200 and only the first "
      + "otp_max_attempts get an otp_invalid answer")
  void wrongCodeRace() {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-guesses", new JsonObject());
    String requestId = client.sent("email", "oscar@example.com");
    String wrong = wrongCode(receiver.awaitCode(requestId));
    List<ApiResponse> responses = all(200, i -> client.verifyAsync(requestId, wrong));
    String key = gateway.redisPrefix() + "otp:{" + client.appId() + "}:" + requestId;
    assertEquals(200, gateway.redis(Command.HGET, key, "attempts").toInteger());
    List<Integer> attemptsLeft = responses.stream().filter(r -> r.status() == 401)
        .map(r -> r.json().getInteger("attempts_left")).sorted().toList();
    assertEquals(List.of(0, 1, 2, 3, 4), attemptsLeft);
    assertEquals(195, responses.stream().filter(r -> "otp_attempts_exceeded".equals(r.error())).count());
  }

  @Test
  @DisplayName("an otp that is not a string is 400 invalid_request naming otp")
  void wrongType() {
    OtpClient client = OtpClient.forNewApp(gateway, "verify-type", new JsonObject());
    String requestId = client.sent("email", "pat@example.com");
    ApiResponse response = client.verify(new JsonObject().put("otp_request_id", requestId).put("otp", 123456));
    assertEquals(400, response.status(), response.body());
    assertEquals("invalid_request", response.error());
    assertTrue(response.json().getString("message").startsWith("otp"), response.body());
  }

  private static List<ApiResponse> all(int count, Function<Integer, CompletableFuture<ApiResponse>> call) {
    List<CompletableFuture<ApiResponse>> calls = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      calls.add(call.apply(i));
    }
    return calls.stream().map(CompletableFuture::join).toList();
  }

  private static String wrongCode(String code) {
    return code.equals("000000") ? "111111" : "000000";
  }

  private static void assertExpired(ApiResponse response) {
    assertEquals(401, response.status(), response.body());
    assertEquals("otp_expired", response.error());
  }

  private static int countUsers(String appId, String email) {
    try (Connection db = gateway.jdbc();
         PreparedStatement query = db.prepareStatement("SELECT count(*) FROM users WHERE app_id = ? AND email = ?")) {
      query.setObject(1, UUID.fromString(appId));
      query.setString(2, email);
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
