package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Password logins against their ceiling in alternating windows: raw Argon2id checks on every core (threads of this
 * JVM, warmed first) with the server idle, then password logins (by this JVM's client or by wrk), in turn, and a
 * last raw window. Each login window's ratio is
 * to the mean of the raw windows either side of it. On a VM whose hashing speed moves by a third from one
 * ten-second window to the next (other guests sharing the caches), one baseline before one measured window can say
 * anything from 0.6 to 1.2; the median of paired ratios does not depend on which minute each side fell in.
 */
final class PairedPassword {

  private final Vertx vertx;
  private final Portcullis gateway;
  private final List<String> emails;
  private final long pid;
  private final int users;
  /** When set, wrk logs the users in, not this JVM ({@link WrkLogins}). */
  private final WrkLogins wrk;

  PairedPassword(Vertx vertx, Portcullis gateway, List<String> emails, long pid, int users, WrkLogins wrk) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.emails = emails;
    this.pid = pid;
    this.users = users;
    this.wrk = wrk;
  }

  /** {@code warmup} seconds of logins (the JIT), then {@code rounds} pairs of {@code window}-second windows. */
  Future<JsonObject> run(int warmup, int rounds, int window) {
    Future<?> warmed = wrk != null ? vertx.executeBlocking(() -> wrk.run(warmup), false)
        : ClosedLoop.unrecorded(vertx, logins(new AtomicLong(), new long[] {Long.MAX_VALUE, 0}), warmup);
    JsonArray raws = new JsonArray();
    JsonArray windows = new JsonArray();
    Future<Void> done = warmed.mapEmpty();
    for (int round = 0; round < rounds; round++) {
      done = done.compose(v -> raw(window)).map(raws::add)
          .compose(v -> loginWindow(window)).map(windows::add).mapEmpty();
    }
    return done.compose(v -> raw(window)).map(raws::add).map(v -> summary(raws, windows));
  }

  private static JsonObject summary(JsonArray raws, JsonArray windows) {
    List<Double> ratios = new ArrayList<>();
    JsonArray rounds = new JsonArray();
    for (int i = 0; i < windows.size(); i++) {
      JsonObject login = windows.getJsonObject(i);
      double before = raws.getDouble(i);
      double after = raws.getDouble(i + 1);
      double ratio = login.getDouble("logins_per_s") / ((before + after) / 2);
      ratios.add(ratio);
      rounds.add(login.copy().put("raw_before_per_s", before).put("raw_after_per_s", after).put("ratio", round(ratio)));
    }
    List<Double> sorted = ratios.stream().sorted().toList();
    int n = sorted.size();
    double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    return new JsonObject().put("rounds", rounds).put("median_ratio", round(median))
        .put("min_ratio", round(sorted.get(0))).put("max_ratio", round(sorted.get(n - 1)));
  }

  /** Raw checks per second on every core over {@code seconds} (after one second's start), on threads of their own. */
  private Future<Double> raw(int seconds) {
    Promise<Double> rate = Promise.promise();
    Thread.ofPlatform().name("paired-raw").start(() -> {
      try {
        rate.complete(Math.round(SignBench.measure(Runtime.getRuntime().availableProcessors(), 1, seconds,
            Argon2Bench.reference()) * 10) / 10.0);
      } catch (Throwable e) {
        rate.fail(e);
      }
    });
    return rate.future();
  }

  /**
   * Logins per second over {@code seconds} after one second's start (the pool filling), with the server's CPU
   * meanwhile. The loops go on a little past the window, so that it ends as busy as it began.
   */
  private Future<JsonObject> loginWindow(int seconds) {
    if (wrk != null) {
      return wrkWindow(seconds);
    }
    AtomicLong counted = new AtomicLong();
    long[] window = {Long.MAX_VALUE, 0};
    ProcSampler server = pid > 0 ? new ProcSampler(pid) : null;
    vertx.setTimer(1000, id -> {
      window[0] = System.nanoTime();
      window[1] = window[0] + seconds * 1_000_000_000L;
      if (server != null) {
        server.start();
      }
    });
    vertx.setTimer(1000 + seconds * 1000L, id -> {
      if (server != null) {
        server.stop();
      }
    });
    return ClosedLoop.unrecorded(vertx, logins(counted, window), 2 + seconds).map(v -> {
      JsonObject result = new JsonObject().put("logins_per_s", round(counted.get() / (double) seconds));
      return server == null ? result : result.put("server", server.toJson());
    });
  }

  /** Logins by wrk for {@code seconds}, with the server's CPU over all but its first and last half second. */
  private Future<JsonObject> wrkWindow(int seconds) {
    ProcSampler server = pid > 0 ? new ProcSampler(pid) : null;
    if (server != null) {
      vertx.setTimer(500, id -> server.start());
      vertx.setTimer(seconds * 1000L - 500, id -> server.stop());
    }
    return vertx.executeBlocking(() -> wrk.run(seconds), false).map(result -> {
      JsonObject window = new JsonObject().put("logins_per_s", result.getDouble("logins_per_s"))
          .put("client", "wrk").put("failures", result.getLong("failures"));
      return server == null ? window : window.put("server", server.toJson());
    });
  }

  /** The users' login loops; each login that ends inside {@code window} (start, end in nanoTime) is counted. */
  private List<Supplier<Future<?>>> logins(AtomicLong counted, long[] window) {
    AtomicInteger next = new AtomicInteger();
    List<Supplier<Future<?>>> loops = new ArrayList<>();
    for (int i = 0; i < users; i++) {
      loops.add(() -> gateway.passwordLogin(emails.get(next.getAndIncrement() % emails.size())).onSuccess(v -> {
        long now = System.nanoTime();
        if (now >= window[0] && now < window[1]) {
          counted.incrementAndGet();
        }
      }));
    }
    return loops;
  }

  private static double round(double value) {
    return Math.round(value * 1000) / 1000.0;
  }
}
