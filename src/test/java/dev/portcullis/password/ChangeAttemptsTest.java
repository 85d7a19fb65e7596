package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Probe h41: the change's check stopped at the identity's 100 consecutive failures, which strangers' wrong logins
 * raise (a token holder's change was then 429 for a day), and concurrent changes overshot it. A session now has
 * {@link ChangeAllowance#WRONG_PER_SESSION} wrong current passwords a day, each reserved before it is checked.
 */
@DisplayName("A password change's guesses are bounded per session")
class ChangeAttemptsTest {

  private static final String PASSWORD = "tangerine skyline 42";
  private static final String NEW_PASSWORD = "marmalade orbit 77";
  private static final int ALLOWANCE = ChangeAllowance.WRONG_PER_SESSION;

  // Room for every check of a burst to wait for a hashing thread, so none is refused 503 unless a test means it.
  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().auditTap()
      .config(HashingSettings.QUEUE_PER_THREAD, 10);

  static TestGateway gateway;
  static AuditTap audit;
  static WebhookReceiver receiver;

  @Test
  @DisplayName("a hundred strangers' wrong logins in a row, from a hundred networks, do not keep the holder of an "
      + "access token from changing the password with the right current one")
  void strangersDoNotStopAChange() {
    PasswordClient client = newApp("ca-strangers");
    String access = userWithSession(client, "owner@example.com");
    for (int batch = 0; batch < 10; batch++) {
      int first = batch * 10;
      List<ApiResponse> wrong = concurrently(10, i -> client.postAsync("/auth/login", new JsonObject()
          .put("email", "owner@example.com").put("password", "a stranger's guess " + (first + i))
          .put("client_ip", "2001:db8:41:" + Integer.toHexString(first + i) + "::1")));
      assertEquals(List.of(401), wrong.stream().map(ApiResponse::status).distinct().toList(), wrong.toString());
    }

    ApiResponse changed = client.change(access, PASSWORD, NEW_PASSWORD);
    assertEquals(200, changed.status(), changed.body());
  }

  @Test
  @DisplayName("concurrent wrong changes on one session check exactly the allowance (401) and refuse the rest with "
      + "429 and Retry-After, the right current password included, while another session of the user may change it")
  void concurrentChangesStopAtTheAllowance() {
    PasswordClient client = newApp("ca-burst");
    String access = userWithSession(client, "burst@example.com");
    String other = login(client, "burst@example.com");

    List<ApiResponse> burst = concurrently(ALLOWANCE + 6,
        i -> client.postAsync("/auth/change-password", changeBody(access, "wrong password " + i)));
    List<Integer> statuses = burst.stream().map(ApiResponse::status).toList();
    assertEquals(ALLOWANCE, statuses.stream().filter(status -> status == 401).count(), statuses.toString());
    assertEquals(6, statuses.stream().filter(status -> status == 429).count(), statuses.toString());
    // h46: a refusal while the checks were still in flight says to retry in a second, not in a day
    for (ApiResponse refused : burst.stream().filter(answer -> answer.status() == 429).toList()) {
      String retryAfter = refused.header("Retry-After");
      assertTrue(retryAfter.equals("1") || Long.parseLong(retryAfter) > 86_000, refused.toString());
    }
    assertEquals(6, audit.of(AuditEvent.RATE_LIMITED, client.appId()).stream()
        .map(event -> event.getJsonObject("data").getString("reason"))
        .filter(reason -> reason.equals("password_change_attempts") || reason.equals("password_in_flight"))
        .count());

    LockoutTest.assertRateLimited(client.change(access, PASSWORD, NEW_PASSWORD), 86_000, 86_400);
    ApiResponse elsewhere = client.change(other, PASSWORD, NEW_PASSWORD);
    assertEquals(200, elsewhere.status(), "another session has its own allowance: " + elsewhere.body());
  }

  @Test
  @DisplayName("a right current password clears its session's wrong ones")
  void rightChangeClears() {
    PasswordClient client = newApp("ca-clear");
    String access = userWithSession(client, "clear@example.com");
    for (int i = 1; i < ALLOWANCE; i++) {
      assertEquals("invalid_credentials", client.change(access, "typo " + i, NEW_PASSWORD).error());
    }
    ApiResponse changed = client.change(access, PASSWORD, NEW_PASSWORD);
    assertEquals(200, changed.status(), changed.body());

    for (int i = 0; i < ALLOWANCE; i++) {
      assertEquals("invalid_credentials", client.change(access, "typo again " + i, PASSWORD).error(), "wrong " + i);
    }
    assertEquals(429, client.change(access, NEW_PASSWORD, PASSWORD).status(), "a new allowance, spent");
  }

  @Test
  @DisplayName("a check the hashing pool refused (503) gives its reservation back: each session still has its whole "
      + "allowance of wrong current passwords")
  void unhashedChecksGiveTheirReservationBack() {
    PasswordClient client = newApp("ca-pool");
    List<String> sessions = List.of(userWithSession(client, "pool@example.com"), login(client, "pool@example.com"),
        login(client, "pool@example.com"));
    // 30 checks at once: more than the pool admits for one app (three quarters of 2 threads x 11), so some are 503
    List<ApiResponse> burst = concurrently(3 * ALLOWANCE, i -> client.postAsync("/auth/change-password",
        changeBody(sessions.get(i % 3), "wrong password " + i)));
    List<Integer> statuses = burst.stream().map(ApiResponse::status).toList();
    assertTrue(statuses.contains(503), "the pool refused some: " + statuses);

    for (int s = 0; s < 3; s++) {
      int session = s;
      long wrong = java.util.stream.IntStream.range(0, burst.size())
          .filter(i -> i % 3 == session && statuses.get(i) == 401).count();
      ApiResponse answer;
      while ((answer = client.change(sessions.get(s), "wrong again " + wrong, NEW_PASSWORD)).status() == 401) {
        wrong++;
      }
      assertEquals(429, answer.status(), answer.body());
      assertEquals(ALLOWANCE, wrong, "session " + s + ": " + statuses);
    }
  }

  @Test
  @DisplayName("a user's wrong current passwords in a row are bounded across its sessions (100): a stolen session's "
      + "allowance renewed every day does not go on past it (probe h46); a reset clears it")
  void userCeilingAcrossSessions() {
    PasswordClient client = newApp("ca-ceiling");
    String email = "ceiling@example.com";
    List<String> sessions = new ArrayList<>(List.of(userWithSession(client, email)));
    while (sessions.size() <= ChangeAllowance.WRONG_PER_USER / ALLOWANCE) {
      sessions.add(login(client, email));
    }
    for (String session : sessions.subList(0, sessions.size() - 1)) {
      List<ApiResponse> wrong = concurrently(ALLOWANCE, i -> client.postAsync("/auth/change-password",
          changeBody(session, "a thief's guess " + i)));
      assertEquals(List.of(401), wrong.stream().map(ApiResponse::status).distinct().toList(), wrong.toString());
    }
    ApiResponse stopped = client.change(sessions.getLast(), PASSWORD, NEW_PASSWORD);
    assertEquals(429, stopped.status(), stopped.body());
    assertTrue(stopped.json().getString("message").contains("reset the password"), stopped.body());
    assertTrue(audit.of(AuditEvent.RATE_LIMITED, client.appId()).stream()
        .anyMatch(event -> "password_change_ceiling".equals(event.getJsonObject("data").getString("reason"))));

    String resetId = client.requestReset(email).json().getString("reset_id");
    assertEquals(200, client.reset(resetId, receiver.awaitCode(resetId), NEW_PASSWORD).status());
    ApiResponse afterReset = client.change(login(client, email, NEW_PASSWORD), NEW_PASSWORD, PASSWORD);
    assertEquals(200, afterReset.status(), afterReset.body());
  }

  @Test
  @DisplayName("a reservation a dead process left behind stops counting once it lapses: the session's checks are not "
      + "refused as busy for the rest of the day (probe h47)")
  void lapsedReservationsDoNotCount() throws Exception {
    PasswordClient client = newApp("ca-lapsed");
    String access = userWithSession(client, "lapsed@example.com");
    assertEquals(401, client.change(access, "first typo", NEW_PASSWORD).status());
    String sessionId = com.nimbusds.jwt.SignedJWT.parse(access).getJWTClaimsSet().getStringClaim("sid");
    String key = gateway.redisPrefix() + "pw-change:{" + client.appId() + "}:" + sessionId;
    for (int i = 0; i < ALLOWANCE; i++) {
      gateway.redis(Command.HSET, key, "r:crashed-" + i, "1"); // lapsed long ago
    }
    for (int i = 1; i < ALLOWANCE; i++) {
      ApiResponse wrong = client.change(access, "typo " + i, NEW_PASSWORD);
      assertEquals(401, wrong.status(), wrong.body());
    }
    LockoutTest.assertRateLimited(client.change(access, PASSWORD, NEW_PASSWORD), 86_000, 86_400);
  }

  /**
   * An app whose lock-out from one network (the changes' requests carry no client_ip: one network) comes later than a
   * session's allowance, so that it is the allowance these tests see.
   */
  private static PasswordClient newApp(String slug) {
    return PasswordClient.forNewApp(gateway, slug, new JsonObject().put("challenge_required", false)
        .put("require_verified_identity", false).put("password_max_failures", 4 * ALLOWANCE));
  }

  /** A user the admin API made with {@link #PASSWORD}, and the access token of one of its sessions. */
  private static String userWithSession(PasswordClient client, String email) {
    ApiResponse made = gateway.http().post("/v1/apps/" + client.appId() + "/users",
        new JsonObject().put("email", email).put("password", PASSWORD), Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(201, made.status(), made.body());
    return login(client, email);
  }

  private static String login(PasswordClient client, String email) {
    return login(client, email, PASSWORD);
  }

  private static String login(PasswordClient client, String email, String password) {
    ApiResponse login = client.post("/auth/login", new JsonObject().put("email", email).put("password", password)
        .put("client_ip", "203.0.113.41"));
    assertEquals(200, login.status(), login.body());
    return login.json().getString("access_token");
  }

  private static JsonObject changeBody(String accessToken, String current) {
    return new JsonObject().put("access_token", accessToken).put("current_password", current)
        .put("new_password", NEW_PASSWORD);
  }

  private static List<ApiResponse> concurrently(int count, IntFunction<CompletableFuture<ApiResponse>> send) {
    List<CompletableFuture<ApiResponse>> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sent.add(send.apply(i));
    }
    return sent.stream().map(CompletableFuture::join).toList();
  }
}
