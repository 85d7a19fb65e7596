package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.ProofOfWork;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("POST /auth/challenge and proof of work")
class ChallengeTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook().auditTap();

  static TestGateway gateway;
  static WebhookReceiver receiver;
  static AuditTap audit;

  @Test
  @DisplayName("a fresh identity gets a 120 s token without proof of work; a login without a token is invalid_challenge")
  void noWorkWithoutFailures() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-plain", new JsonObject());
    ApiResponse challenge = client.challenge("login", "kai@example.com", "203.0.113.5");
    assertEquals(200, challenge.status(), challenge.body());
    assertEquals(120, challenge.json().getInteger("expires_in"));
    assertTrue(challenge.json().containsKey("pow"));
    assertNull(challenge.json().getValue("pow"));
    assertTrue(challenge.json().getString("challenge_token").length() >= 43);

    ApiResponse missing = client.post("/auth/login", new JsonObject().put("email", "kai@example.com")
        .put("password", "whatever it is"));
    assertEquals(401, missing.status(), missing.body());
    assertEquals("invalid_challenge", missing.error());
    ApiResponse badPurpose = client.post("/auth/challenge", new JsonObject().put("purpose", "other")
        .put("email", "kai@example.com"));
    assertEquals(400, badPurpose.status());
    assertEquals("invalid_request", badPurpose.error());
  }

  @Test
  @DisplayName("a challenge is single use: of 16 concurrent logins with one token exactly one gets past it")
  void singleUse() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-once", new JsonObject());
    String token = client.challenge("login", "lou@example.com", null).json().getString("challenge_token");
    JsonObject body = new JsonObject().put("email", "lou@example.com").put("password", "some password here")
        .put("challenge_token", token);
    List<CompletableFuture<ApiResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      calls.add(client.postAsync("/auth/login", body.copy()));
    }
    List<String> errors = calls.stream().map(CompletableFuture::join).map(ApiResponse::error).toList();
    assertEquals(1, errors.stream().filter("invalid_credentials"::equals).count(), errors.toString());
    assertEquals(15, errors.stream().filter("invalid_challenge"::equals).count(), errors.toString());
  }

  @Test
  @DisplayName("a token is bound to its purpose and identity")
  void bound() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-bound", new JsonObject());
    String forMia = client.challenge("login", "mia@example.com", null).json().getString("challenge_token");
    ApiResponse otherIdentity = client.post("/auth/login", new JsonObject().put("email", "ned@example.com")
        .put("password", "some password here").put("challenge_token", forMia));
    assertEquals("invalid_challenge", otherIdentity.error());
    String signupToken = client.challenge("signup", "mia@example.com", null).json().getString("challenge_token");
    ApiResponse otherPurpose = client.post("/auth/login", new JsonObject().put("email", "mia@example.com")
        .put("password", "some password here").put("challenge_token", signupToken));
    assertEquals("invalid_challenge", otherPurpose.error());
  }

  @Test
  @DisplayName("after a failure the identity's challenges ask for proof of work: a wrong solution is refused and "
      + "spends the token, a right one passes")
  void proofOfWork() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-pow", new JsonObject());
    assertEquals("invalid_credentials", client.login("oz@example.com", "not the password", "198.51.100.20").error());

    ApiResponse challenge = client.challenge("login", "oz@example.com", "198.51.100.21");
    JsonObject pow = challenge.json().getJsonObject("pow");
    assertEquals("sha256", pow.getString("algorithm"));
    assertEquals(10, pow.getInteger("difficulty"));
    String token = challenge.json().getString("challenge_token");
    String right = PowSolver.solve(token, 10);
    String wrong = wrongSolution(token, 10);
    JsonObject body = new JsonObject().put("email", "oz@example.com").put("password", "not the password");
    ApiResponse refused = client.post("/auth/login", body.copy().put("challenge_token", token).put("pow_solution", wrong));
    assertEquals(401, refused.status(), refused.body());
    assertEquals("invalid_challenge", refused.error());
    assertTrue(refused.json().getString("message").startsWith("pow_solution"));
    ApiResponse spent = client.post("/auth/login", body.copy().put("challenge_token", token).put("pow_solution", right));
    assertEquals("invalid_challenge", spent.error(), "the token was spent by the wrong solution");

    ApiResponse solved = client.login("oz@example.com", "not the password", "198.51.100.21");
    assertEquals("invalid_credentials", solved.error(), "a solved challenge lets the login be tried");
    JsonObject issued = audit.of(AuditEvent.CHALLENGE_ISSUED, client.appId()).get(0);
    assertEquals(10, issued.getJsonObject("data").getInteger("difficulty"));
  }

  @Test
  @DisplayName("tokens taken before any failure are no free guesses: failures since their issue raise the work they need")
  void prefetchedTokensPayTheRisenDifficulty() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-prefetch", new JsonObject());
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ApiResponse challenge = client.challenge("login", "pia@example.com", "198.51.100.30");
      assertNull(challenge.json().getValue("pow"), "nothing failed yet: " + challenge.body());
      tokens.add(challenge.json().getString("challenge_token"));
    }
    JsonObject guess = new JsonObject().put("email", "pia@example.com").put("password", "a guessed password")
        .put("client_ip", "198.51.100.30");
    assertEquals("invalid_credentials", client.post("/auth/login", guess.copy().put("challenge_token", tokens.get(0)))
        .error());
    ApiResponse free = client.post("/auth/login", guess.copy().put("challenge_token", tokens.get(1)));
    assertEquals(401, free.status(), free.body());
    assertEquals("invalid_challenge", free.error(), "the failure raised the price of the prefetched token");
    assertTrue(free.json().getString("message").contains("rose"), free.body());
    ApiResponse paid = client.post("/auth/login", guess.copy().put("challenge_token", tokens.get(2))
        .put("pow_solution", PowSolver.solve(tokens.get(2), 10)));
    assertEquals("invalid_credentials", paid.error(), "a token solved at the new difficulty is let through: " + paid.body());
  }

  @Test
  @DisplayName("tokens taken before any failure and spent at once from many networks are no free guesses either: "
      + "the checks in flight count as failures")
  void prefetchedTokensSpentAtOnce() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-burst", new JsonObject());
    List<JsonObject> guesses = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String network = "198.51.100." + (40 + i);
      ApiResponse challenge = client.challenge("login", "bea@example.com", network);
      assertNull(challenge.json().getValue("pow"), "nothing failed yet, nothing in flight: " + challenge.body());
      guesses.add(new JsonObject().put("email", "bea@example.com").put("password", "guess number " + i)
          .put("client_ip", network).put("challenge_token", challenge.json().getString("challenge_token")));
    }
    List<CompletableFuture<ApiResponse>> calls = guesses.stream().map(guess -> client.postAsync("/auth/login", guess))
        .toList();
    List<String> errors = calls.stream().map(CompletableFuture::join).map(ApiResponse::error).toList();
    assertEquals(1, errors.stream().filter("invalid_credentials"::equals).count(), errors.toString());
    assertEquals(7, errors.stream().filter(error -> "rate_limited".equals(error) || "invalid_challenge".equals(error))
        .count(), "refused unchecked: under way beside the first, or after it failed: " + errors);
  }

  @Test
  @DisplayName("with a check of the identity ahead, work that falls short is refused at once, and work that suffices "
      + "waits for it, then 429 with Retry-After")
  void checksAheadAreWaitedForOnlyWithTheWork() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-ahead", new JsonObject());
    JsonObject guess = new JsonObject().put("email", "ken@example.com").put("password", "a guessed password")
        .put("client_ip", "198.51.100.70");
    String first = client.challenge("login", "ken@example.com", "198.51.100.70").json().getString("challenge_token");
    assertEquals("invalid_credentials", client.post("/auth/login", guess.copy().put("challenge_token", first)).error());
    // a check of the identity that will not end within the wait: its gateway stopped mid-way, say
    String checks = gateway.redisPrefix() + "pw-id-checks:{" + client.appId() + "}:"
        + new dev.portcullis.otp.OtpCodes(dev.portcullis.core.MasterKey.from(gateway.config()))
            .identityName(java.util.UUID.fromString(client.appId()), dev.portcullis.otp.Identity.email("ken@example.com"));
    gateway.redis(io.vertx.redis.client.Command.ZADD, checks, Long.toString(System.currentTimeMillis() + 60_000),
        "a-check-left-behind");

    String unsolved = client.challenge("login", "ken@example.com", "198.51.100.70").json().getString("challenge_token");
    ApiResponse refused = client.post("/auth/login", guess.copy().put("challenge_token", unsolved));
    assertEquals("invalid_challenge", refused.error(), "no work, no wait: " + refused.body());

    String solved = client.challenge("login", "ken@example.com", "198.51.100.70").json().getString("challenge_token");
    ApiResponse waited = client.post("/auth/login", guess.copy().put("challenge_token", solved)
        .put("pow_solution", PowSolver.solve(solved, 10)));
    assertEquals(429, waited.status(), waited.body());
    assertEquals("rate_limited", waited.error());
    assertEquals("1", waited.header("Retry-After"));
    assertEquals(1, gateway.redis(io.vertx.redis.client.Command.ZCARD, checks).toInteger(),
        "only the check left behind: the refused ones ended");
  }

  @Test
  @DisplayName("four devices signing in with the right password at the same moment all get in: each check waits for "
      + "those of the identity ahead of it")
  void devicesAtOnceAllGetIn() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-devices",
        new JsonObject().put("require_verified_identity", false));
    assertEquals(201, gateway.http().post("/v1/apps/" + client.appId() + "/users", new JsonObject()
        .put("email", "dev@example.com").put("password", "four devices one password"),
        dev.portcullis.testing.Http.bearer(TestGateway.ADMIN_KEY)).status());
    List<JsonObject> logins = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String network = "198.51.100." + (60 + i);
      ApiResponse challenge = client.challenge("login", "dev@example.com", network);
      assertNull(challenge.json().getValue("pow"), "nothing failed, nothing in flight: " + challenge.body());
      logins.add(new JsonObject().put("email", "dev@example.com").put("password", "four devices one password")
          .put("client_ip", network).put("challenge_token", challenge.json().getString("challenge_token")));
    }
    List<CompletableFuture<ApiResponse>> calls = logins.stream()
        .map(login -> client.postAsync("/auth/login", login)).toList();
    for (ApiResponse answer : calls.stream().map(CompletableFuture::join).toList()) {
      assertEquals(200, answer.status(), answer.body());
    }
  }

  @Test
  @DisplayName("challenges a shared network fetches after this one was issued do not raise its price: only failures do")
  void neighboursVolumeDoesNotRaiseAnIssuedToken() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-neighbours", new JsonObject());
    String network = "198.51.100.40";
    assertEquals("invalid_credentials", client.login("ula@example.com", "a mistyped password", network).error());
    ApiResponse challenge = client.challenge("login", "ula@example.com", network);
    assertEquals(10, challenge.json().getJsonObject("pow").getInteger("difficulty"), challenge.body());
    String token = challenge.json().getString("challenge_token");
    for (int i = 0; i < 31; i++) {
      assertEquals(200, client.challenge("login", "neighbour" + i + "@example.com", network).status());
    }
    ApiResponse login = client.post("/auth/login", new JsonObject().put("email", "ula@example.com")
        .put("password", "another mistyped one").put("client_ip", network).put("challenge_token", token)
        .put("pow_solution", PowSolver.solve(token, 10)));
    assertEquals("invalid_credentials", login.error(), "the token's own work still suffices: " + login.body());
  }

  @Test
  @DisplayName("a pow_solution over 64 characters is refused saying so, not as a wrong solution")
  void overlongSolution() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-long", new JsonObject());
    assertEquals("invalid_credentials", client.login("vin@example.com", "a mistyped password", null).error());
    ApiResponse challenge = client.challenge("login", "vin@example.com", null);
    assertEquals(10, challenge.json().getJsonObject("pow").getInteger("difficulty"));
    String token = challenge.json().getString("challenge_token");
    ApiResponse refused = client.post("/auth/login", new JsonObject().put("email", "vin@example.com")
        .put("password", "some password here").put("challenge_token", token).put("pow_solution", "7".repeat(65)));
    assertEquals("invalid_challenge", refused.error());
    assertTrue(refused.json().getString("message").startsWith("pow_solution: must be at most 64 characters"),
        refused.body());
  }

  @Test
  @DisplayName("with challenge_required false no token is needed, but a token sent anyway is checked")
  void optional() {
    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-optional",
        new JsonObject().put("challenge_required", false));
    JsonObject body = new JsonObject().put("email", "pia@example.com").put("password", "some password here");
    assertEquals("invalid_credentials", client.post("/auth/login", body.copy()).error());
    assertEquals("invalid_challenge", client.post("/auth/login", body.copy().put("challenge_token", "made-up")).error());
  }

  @Test
  @DisplayName("the README's JavaScript solver, run by Node, finds the same solution as the Java solver, and the "
      + "gateway accepts it")
  void readmeSolver() throws Exception {
    Path node = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
        .map(dir -> Path.of(dir, "node"))
        .filter(Files::isExecutable)
        .findFirst()
        .orElse(null);
    Assumptions.assumeTrue(node != null, "Node is not installed");
    String readme = Files.readString(Path.of("README.md"));
    String open = "<!-- pow-solver -->\n```js\n";
    int from = readme.indexOf(open);
    int to = readme.indexOf("```\n<!-- /pow-solver -->");
    assertTrue(from > 0 && to > from, "the README holds the solver between its markers");
    Path script = Files.createTempFile("pow-solver", ".mjs");
    Files.writeString(script, readme.substring(from + open.length(), to)
        + "\nconsole.log(await solvePow(process.argv[2], Number(process.argv[3])));\n");

    PasswordClient client = PasswordClient.forNewApp(gateway, "ch-readme", new JsonObject());
    assertEquals("invalid_credentials", client.login("rex@example.com", "not the password", null).error());
    ApiResponse challenge = client.challenge("login", "rex@example.com", null);
    String token = challenge.json().getString("challenge_token");
    int difficulty = challenge.json().getJsonObject("pow").getInteger("difficulty");
    Process run = new ProcessBuilder(node.toString(), script.toString(), token, Integer.toString(difficulty))
        .redirectErrorStream(true)
        .start();
    assertTrue(run.waitFor(60, TimeUnit.SECONDS), "node finished");
    String solution = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    Files.delete(script);
    assertEquals(0, run.exitValue(), solution);
    assertEquals(PowSolver.solve(token, difficulty), solution, "the same counters in the same order");
    ApiResponse login = client.post("/auth/login", new JsonObject().put("email", "rex@example.com")
        .put("password", "not the password").put("challenge_token", token).put("pow_solution", solution));
    assertEquals("invalid_credentials", login.error(), "the challenge passed; only the password is wrong");
  }

  private static String wrongSolution(String token, int difficulty) {
    for (int i = 0; ; i++) {
      String candidate = "x" + i;
      if (!ProofOfWork.solves(token, candidate, difficulty)) {
        return candidate;
      }
    }
  }
}
