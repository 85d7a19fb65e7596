package dev.portcullis.chaos;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Experiment 1: every single-use rule and every limit holds across two gateway processes. Each case fires the
 * same decision at both gateways at once and counts the answers. A new rule (challenge tokens, licence seats)
 * is one more {@link Case} in {@link #cases()}.
 */
final class SingleUse {

  /** One rule: what to fire (the i-th of n concurrent calls goes to gateway i % 2) and what the answers must be. */
  record Case(String name, int rounds, Function<SingleUse, String> round) {
  }

  private static final int CONCURRENT = 8;
  private static final ExecutorService POOL = Executors.newFixedThreadPool(CONCURRENT, task -> {
    Thread thread = new Thread(task, "single-use");
    thread.setDaemon(true);
    return thread;
  });

  private final Client a;
  private final Client b;
  private final Client noGraceA;
  private final Receiver receiver;
  private final String adminKey;

  SingleUse(Client a, Client b, Client noGraceA, Receiver receiver, String adminKey) {
    this.a = a;
    this.b = b;
    this.noGraceA = noGraceA;
    this.receiver = receiver;
    this.adminKey = adminKey;
  }

  static List<Case> cases() {
    return List.of(
        new Case("an OTP code verifies once", 10, SingleUse::codeOnce),
        new Case("a refresh token rotates once (grace 0)", 10, SingleUse::refreshOnce),
        new Case("wrong guesses: exactly otp_max_attempts counted, then burned", 5, SingleUse::attemptsLimit),
        new Case("the resend cooldown admits one send", 10, SingleUse::cooldownOnce),
        new Case("a challenge token is spent once", 10, SingleUse::challengeOnce),
        new Case("a 3-seat licence seats exactly 3 of 8 devices", 10, SingleUse::seatsExactly));
  }

  JsonObject run() {
    JsonArray results = new JsonArray();
    boolean passed = true;
    for (Case rule : cases()) {
      List<String> failures = new ArrayList<>();
      for (int i = 0; i < rule.rounds(); i++) {
        String failure = rule.round().apply(this);
        if (failure != null) {
          failures.add(failure);
        }
      }
      passed &= failures.isEmpty();
      results.add(new JsonObject().put("rule", rule.name()).put("rounds", rule.rounds())
          .put("passed", failures.isEmpty()).put("failures", new JsonArray(failures)));
    }
    return new JsonObject().put("experiment", "single-use").put("passed", passed).put("rules", results);
  }

  private String codeOnce() {
    Client.Answer sent = a.send(Workload.email());
    String requestId = sent.body().getString("otp_request_id");
    String code = receiver.code(requestId, 10_000);
    if (code == null) {
      return "no code delivered for " + requestId;
    }
    Map<String, Integer> answers = fire(client -> client.verify(requestId, code), a, b);
    return expect(answers, Map.of("200", 1, "401 otp_expired", CONCURRENT - 1));
  }

  private String refreshOnce() {
    Client noGraceB = noGraceA.on(b.base, b.name);
    Client.Answer sent = noGraceA.send(Workload.email());
    String requestId = sent.body().getString("otp_request_id");
    String refresh = noGraceA.verify(requestId, receiver.code(requestId, 10_000)).body().getString("refresh_token");
    Map<String, Integer> answers = fire(client -> client.refresh(refresh), noGraceA, noGraceB);
    Integer winners = answers.getOrDefault("200", 0);
    return winners == 1 ? null : "refreshes answered " + answers;
  }

  private String attemptsLimit() {
    Client.Answer sent = a.send(Workload.email());
    String requestId = sent.body().getString("otp_request_id");
    String code = receiver.code(requestId, 10_000);
    if (code == null) {
      return "no code delivered for " + requestId;
    }
    String wrong = code.substring(0, code.length() - 1) + (code.endsWith("9") ? "0" : String.valueOf((char) (code.charAt(code.length() - 1) + 1)));
    Map<String, Integer> answers = fire(client -> client.verify(requestId, wrong), a, b);
    String failure = expect(answers, Map.of("401 otp_invalid", 5, "429 otp_attempts_exceeded", CONCURRENT - 5));
    if (failure != null) {
      return failure;
    }
    Client.Answer right = b.verify(requestId, code);
    return right.status() == 429 ? null : "the right code after the burn answered " + right.status() + " " + right.error();
  }

  private String cooldownOnce() {
    String email = Workload.email();
    Map<String, Integer> answers = fire(client -> client.send(email), a, b);
    return expect(answers, Map.of("200", 1, "429 rate_limited", CONCURRENT - 1));
  }

  private String challengeOnce() {
    String email = Workload.email();
    Client.Answer challenge = a.post("challenge", "/auth/challenge",
        a.credentials().put("purpose", "signup").put("email", email), null);
    if (!challenge.ok()) {
      return "challenge answered " + challenge.status() + " " + challenge.error();
    }
    String token = challenge.body().getString("challenge_token");
    JsonObject pow = challenge.body().getJsonObject("pow");
    JsonObject signup = new JsonObject().put("email", email).put("password", "chaos tangerine skyline " + System.nanoTime())
        .put("challenge_token", token);
    if (pow != null) {
      signup.put("pow_solution", ProofOfWork.solve(token, pow.getInteger("difficulty")));
    }
    Map<String, Integer> answers = fire(client -> client.post("signup", "/auth/signup",
        client.credentials().mergeIn(signup), null), a, b);
    return expect(answers, Map.of("202", 1, "401 invalid_challenge", CONCURRENT - 1));
  }

  private String seatsExactly() {
    String appId = a.app.getString("app_id");
    Client.Answer policy = a.call("policy", "POST", "/v1/apps/" + appId + "/license-policies",
        new JsonObject().put("name", "chaos 3 seats").put("max_devices", 3), adminKey, null);
    if (!policy.ok()) {
      return "policy answered " + policy.status() + " " + policy.error();
    }
    Client.Answer license = a.call("license", "POST", "/v1/apps/" + appId + "/licenses",
        new JsonObject().put("policy_id", policy.body().getString("policy_id")), adminKey, null);
    if (!license.ok()) {
      return "licence answered " + license.status() + " " + license.error();
    }
    String key = license.body().getString("key");
    java.util.concurrent.atomic.AtomicInteger device = new java.util.concurrent.atomic.AtomicInteger();
    Map<String, Integer> answers = fire(client -> client.post("activate", "/licenses/activate", new JsonObject()
        .put("app_id", appId).put("key", key).put("fingerprint", "chaos-device-" + device.incrementAndGet()), null), a, b);
    String failure = expect(answers, Map.of("201", 3, "403 device_limit_reached", CONCURRENT - 3));
    if (failure != null) {
      return failure;
    }
    Client.Answer stored = a.call("license", "GET", "/v1/apps/" + appId + "/licenses/"
        + license.body().getString("license_id"), null, adminKey, null);
    long live = stored.body().getJsonArray("devices").stream()
        .filter(d -> ((JsonObject) d).getBoolean("active", false)).count();
    return live == 3 ? null : live + " live devices stored";
  }

  /** CONCURRENT calls at once, alternating between the two gateways; answers counted as "status error". */
  private static Map<String, Integer> fire(Function<Client, Client.Answer> call, Client first, Client second) {
    List<CompletableFuture<Client.Answer>> calls = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    for (int i = 0; i < CONCURRENT; i++) {
      Client client = i % 2 == 0 ? first : second;
      calls.add(CompletableFuture.supplyAsync(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return call.apply(client);
      }, POOL));
    }
    start.countDown();
    Map<String, Integer> counts = new TreeMap<>();
    for (CompletableFuture<Client.Answer> future : calls) {
      Client.Answer answer = future.join();
      String key = answer.ok() ? String.valueOf(answer.status()) : answer.status() + " " + answer.error();
      counts.merge(key, 1, Integer::sum);
    }
    return counts;
  }

  private static String expect(Map<String, Integer> answers, Map<String, Integer> expected) {
    return new TreeMap<>(expected).equals(answers) ? null : "expected " + new TreeMap<>(expected) + ", got " + answers;
  }
}
