package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A hash made under weaker Argon2id settings than the current ones")
@RunsAlone
class OutdatedHashTimingTest {

  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(new JsonObject().put(HashingSettings.MEMORY_KIB, 32_768)
        .put(HashingSettings.ITERATIONS, 3));
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  @DisplayName("costs a wrong password at least the current settings' work, as an unknown email does: the answer's time "
      + "does not tell that the account exists before its next sign-in rehashes it")
  void wrongPasswordCostsTheCurrentWork() throws Exception {
    PasswordClient client = withOutdatedUser("outdated-hash", "old-hash@example.com");
    List<Long> existing = new ArrayList<>();
    List<Long> unknown = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      existing.add(wrongLoginNanos(client, "old-hash@example.com", i));
      unknown.add(wrongLoginNanos(client, "nobody-" + i + "@example.com", i));
    }
    long existingMedian = median(existing);
    long unknownMedian = median(unknown);
    // Without the dummy's work the outdated check took ~1 ms against ~100 ms: a single request told them apart.
    assertTrue(existingMedian * 10 >= unknownMedian * 7,
        "outdated " + existingMedian / 1_000_000 + " ms, unknown " + unknownMedian / 1_000_000 + " ms");
  }

  @Test
  @DisplayName("costs no more than the current work either: a hash two thirds as costly as the current settings' is "
      + "not answered slower than an unknown email (h68: its work plus a whole dummy check took 1.5 times as long)")
  void wrongPasswordCostsNoMoreThanTheCurrentWork() throws Exception {
    PasswordClient client = withOutdatedUser("outdated-close", "close-hash@example.com", new Argon2id(32_768, 2, 1));
    List<Long> existing = new ArrayList<>();
    List<Long> unknown = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      unknown.add(wrongLoginNanos(client, "nobody-close-" + i + "@example.com", i));
      existing.add(wrongLoginNanos(client, "close-hash@example.com", i));
    }
    long existingMedian = median(existing);
    long unknownMedian = median(unknown);
    assertTrue(existingMedian * 10 <= unknownMedian * 13,
        "outdated " + existingMedian / 1_000_000 + " ms, unknown " + unknownMedian / 1_000_000 + " ms");
  }

  @Test
  @DisplayName("concurrent right passwords on it all sign in: one rehashes it, the others prove the hash it stored "
      + "(kept to the hash they verified, they were refused as sign-ins with a changed password)")
  void concurrentRehashes() throws Exception {
    PasswordClient client = withOutdatedUser("outdated-concurrent", "rehashed-twice@example.com");
    List<java.util.concurrent.CompletableFuture<ApiResponse>> logins = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      logins.add(client.postAsync("/auth/login", new JsonObject().put("email", "rehashed-twice@example.com")
          .put("password", "Correct-Horse-Battery-9").put("client_ip", "198.51.100." + (20 + i))));
    }
    for (var login : logins) {
      ApiResponse answer = login.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(200, answer.status(), answer.body());
      assertEquals(200, gateway.http().get("/auth/me",
          dev.portcullis.testing.Http.bearer(answer.json().getString("access_token"))).status());
    }
  }

  /** A new app with a user whose password hash was made under far weaker settings (as before an upgrade of them). */
  private static PasswordClient withOutdatedUser(String slug, String email) throws Exception {
    return withOutdatedUser(slug, email, new Argon2id(1024, 1, 1));
  }

  private static PasswordClient withOutdatedUser(String slug, String email, Argon2id outdated) throws Exception {
    PasswordClient client = PasswordClient.forNewApp(gateway, slug, new JsonObject()
        .put("challenge_required", false).put("password_max_failures", 100));
    try (Connection db = gateway.jdbc(); PreparedStatement insert = db.prepareStatement(
        "INSERT INTO users (id, app_id, email, email_verified, password_hash) VALUES (?, ?::uuid, ?, true, ?)")) {
      insert.setObject(1, UUID.randomUUID());
      insert.setString(2, client.appId());
      insert.setString(3, email);
      insert.setString(4, outdated.hash("Correct-Horse-Battery-9"));
      insert.executeUpdate();
    }
    return client;
  }

  private static long wrongLoginNanos(PasswordClient client, String email, int round) {
    long started = System.nanoTime();
    ApiResponse refused = client.post("/auth/login", new JsonObject().put("email", email)
        .put("password", "not the password " + round).put("client_ip", "198.51.100." + (round + 1)));
    long took = System.nanoTime() - started;
    assertEquals("invalid_credentials", refused.error(), refused.body());
    return took;
  }

  private static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
