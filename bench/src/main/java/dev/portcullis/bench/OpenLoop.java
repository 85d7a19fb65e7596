package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * Open-loop load at a fixed rate: operation i is due at start + i / rate and its latency counts from then,
 * so a slow server cannot hide its queueing (no coordinated omission). Bounded in time and in requests in
 * flight.
 */
final class OpenLoop {

  private static final int MAX_IN_FLIGHT = 20_000;
  private static final long DRAIN_MS = 10_000;

  private OpenLoop() {
  }

  /** {@code fire} receives the intended start ({@link System#nanoTime()}) of each operation. */
  static Future<Void> run(Vertx vertx, Stats stats, double ratePerSecond, int warmupS, int durationS,
      LongFunction<Future<?>> fire) {
    long start = System.nanoTime();
    long end = start + (warmupS + durationS) * 1_000_000_000L;
    double intervalNanos = 1e9 / ratePerSecond;
    vertx.setTimer(Math.max(1, warmupS * 1000L), id -> stats.startWindow());
    vertx.setTimer((warmupS + durationS) * 1000L, id -> stats.endWindow());
    AtomicLong inFlight = new AtomicLong();
    long[] sent = {0};
    Promise<Void> done = Promise.promise();
    vertx.setPeriodic(1, timer -> {
      long now = System.nanoTime();
      long due = (long) ((Math.min(now, end) - start) / intervalNanos);
      while (sent[0] < due) {
        long intended = start + (long) (sent[0] * intervalNanos);
        sent[0]++;
        if (inFlight.get() >= MAX_IN_FLIGHT) {
          stats.error("open-loop", "dropped: " + MAX_IN_FLIGHT + " requests in flight");
          continue;
        }
        inFlight.incrementAndGet();
        // how late the generator itself sends: a late send is the generator's delay, not the server's
        stats.sendLag(now - intended);
        fire.apply(intended).onComplete(ar -> inFlight.decrementAndGet());
      }
      if (now >= end) {
        vertx.cancelTimer(timer);
        drain(vertx, inFlight, now + DRAIN_MS * 1_000_000L, done);
      }
    });
    return done.future();
  }

  private static void drain(Vertx vertx, AtomicLong inFlight, long deadline, Promise<Void> done) {
    if (inFlight.get() == 0 || System.nanoTime() >= deadline) {
      done.tryComplete();
      return;
    }
    vertx.setTimer(10, id -> drain(vertx, inFlight, deadline, done));
  }
}
