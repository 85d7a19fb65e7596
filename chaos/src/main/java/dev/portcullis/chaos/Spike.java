package dev.portcullis.chaos;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Experiment 6: an open-loop load (requests leave on schedule whether or not earlier ones were answered, as
 * independent users behave) at a base rate, then at ten times that rate. Latency counts from each request's
 * departure. The gateway must answer the excess 503/429 at once rather than let every request queue into the
 * client's timeout, and the admitted requests' p99 must stay within twice the base p99.
 */
final class Spike {

  private final Client client;
  private final List<String> accessTokens;

  Spike(Client client, List<String> accessTokens) {
    this.client = client;
    this.accessTokens = accessTokens;
  }

  JsonObject run(int baseRps, int seconds) {
    // Warm-up, not counted: a few seconds at each rate, so neither measured phase runs on code the JIT has not
    // compiled yet. A fresh gateway (the rolling restart before this experiment leaves two) answers the first
    // seconds of its first burst in hundreds of milliseconds while it compiles, spike or no spike.
    phase(baseRps, 2);
    phase(baseRps * 10, 5);
    phase(baseRps, 2);
    JsonObject base = phase(baseRps, seconds);
    JsonObject spike = phase(baseRps * 10, seconds);
    long baseP99 = base.getLong("admitted_p99_ms");
    long spikeP99 = spike.getLong("admitted_p99_ms");
    boolean noTimeouts = spike.getInteger("no_answer") == 0;
    boolean p99Held = spikeP99 <= Math.max(2 * baseP99, baseP99 + 5);
    return new JsonObject().put("experiment", "spike").put("base", base).put("spike", spike)
        .put("no_timeouts", noTimeouts).put("admitted_p99_within_2x", p99Held)
        .put("passed", noTimeouts && p99Held);
  }

  /** 80% /auth/me with one of the sessions, 20% send-otp to a new address, at rps for seconds. */
  private JsonObject phase(int rps, int seconds) {
    List<CompletableFuture<Client.Answer>> calls = new ArrayList<>();
    long interval = 1_000_000_000L / rps;
    long start = System.nanoTime();
    long total = (long) rps * seconds;
    for (long i = 0; i < total; i++) {
      long due = start + i * interval;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      if (ThreadLocalRandom.current().nextInt(100) < 80) {
        String token = accessTokens.get(ThreadLocalRandom.current().nextInt(accessTokens.size()));
        calls.add(client.callAsync("me", "GET", "/auth/me", null, token, null));
      } else {
        calls.add(client.callAsync("send", "POST", "/auth/send-otp", client.credentials().put("email", Workload.email()), null, null));
      }
    }
    Map<String, Object> statuses = new TreeMap<>();
    List<Long> admitted = new ArrayList<>();
    List<Long> refused = new ArrayList<>();
    int noAnswer = 0;
    for (CompletableFuture<Client.Answer> call : calls) {
      Client.Answer answer = call.join();
      statuses.merge(String.valueOf(answer.status()), 1, (x, y) -> (Integer) x + (Integer) y);
      if (answer.status() < 0) {
        noAnswer++;
      } else if (answer.ok()) {
        admitted.add(answer.millis());
      } else if (answer.status() == 503 || answer.status() == 429) {
        refused.add(answer.millis());
      }
    }
    return new JsonObject()
        .put("rps", rps)
        .put("seconds", seconds)
        .put("offered", calls.size())
        .put("statuses", new JsonObject(statuses))
        .put("no_answer", noAnswer)
        .put("admitted", admitted.size())
        .put("admitted_p50_ms", percentile(admitted, 50))
        .put("admitted_p99_ms", percentile(admitted, 99))
        .put("refused", refused.size())
        .put("refused_p99_ms", percentile(refused, 99));
  }

  static long percentile(List<Long> values, double p) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
  }
}
