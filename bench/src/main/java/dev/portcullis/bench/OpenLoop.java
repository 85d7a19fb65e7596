package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * Open-loop load at a fixed rate (after a linear ramp over the warm-up): each operation has its due time and its
 * latency counts from then,
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
    // ramp over the first 60% of the warm-up, then hold the rate until the measured window opens
    Schedule schedule = new Schedule(ratePerSecond, warmupS * 0.6);
    vertx.setTimer(Math.max(1, warmupS * 1000L), id -> stats.startWindow());
    vertx.setTimer((warmupS + durationS) * 1000L, id -> stats.endWindow());
    AtomicLong inFlight = new AtomicLong();
    long[] sent = {0};
    Promise<Void> done = Promise.promise();
    vertx.setPeriodic(1, timer -> {
      long now = System.nanoTime();
      long due = schedule.due((Math.min(now, end) - start) / 1e9);
      while (sent[0] < due) {
        long intended = start + (long) (schedule.at(sent[0]) * 1e9);
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
    return done.future().onComplete(stopped -> stats.endWindow());
  }

  /**
   * The rate ramps up linearly over the warm-up, then holds: a cold load generator (its JIT) or server must not
   * start the measured window with a backlog that the spare 30% then takes seconds to drain.
   */
  record Schedule(double rate, double rampSeconds) {

    /** Operations due by {@code t} seconds after the start. */
    long due(double t) {
      if (rampSeconds <= 0) {
        return (long) (rate * t);
      }
      return t <= rampSeconds ? (long) (rate * t * t / (2 * rampSeconds))
          : (long) (rate * rampSeconds / 2 + rate * (t - rampSeconds));
    }

    /** When operation {@code i} is due, in seconds after the start. */
    double at(long i) {
      double rampCount = rate * rampSeconds / 2;
      if (rampSeconds <= 0) {
        return i / rate;
      }
      return i <= rampCount ? Math.sqrt(2 * i * rampSeconds / rate) : rampSeconds + (i - rampCount) / rate;
    }
  }

  private static void drain(Vertx vertx, AtomicLong inFlight, long deadline, Promise<Void> done) {
    if (inFlight.get() == 0 || System.nanoTime() >= deadline) {
      done.tryComplete();
      return;
    }
    vertx.setTimer(10, id -> drain(vertx, inFlight, deadline, done));
  }
}
