package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Closed-loop load: each virtual user sends its next operation when the previous one answered, like wrk's
 * connections. Warm-up first (not recorded), then the measured window; bounded in time.
 */
final class ClosedLoop {

  private static final long BACKOFF_MS = 5;

  private ClosedLoop() {
  }

  /** Runs every user's {@code step} until warm-up + duration have passed; completes when all have stopped. */
  static Future<Void> run(Vertx vertx, Stats stats, List<Supplier<Future<?>>> users, int warmupS, int durationS) {
    vertx.setTimer(Math.max(1, warmupS * 1000L), id -> stats.startWindow());
    vertx.setTimer((warmupS + durationS) * 1000L, id -> stats.endWindow());
    return unrecorded(vertx, users, warmupS + durationS).onComplete(stopped -> stats.endWindow());
  }

  /** The same loop with no measured window: to warm a load generator's own JIT before an open-loop run. */
  static Future<Void> unrecorded(Vertx vertx, List<Supplier<Future<?>>> users, int seconds) {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    Promise<Void> done = Promise.promise();
    AtomicInteger running = new AtomicInteger(users.size());
    for (Supplier<Future<?>> user : users) {
      loop(vertx, user, end, () -> {
        if (running.decrementAndGet() == 0) {
          done.tryComplete();
        }
      });
    }
    return done.future();
  }

  private static void loop(Vertx vertx, Supplier<Future<?>> step, long end, Runnable stopped) {
    if (System.nanoTime() >= end) {
      stopped.run();
      return;
    }
    step.get().onComplete(ar -> {
      if (ar.succeeded()) {
        loop(vertx, step, end, stopped);
      } else {
        // a failed step is counted already; a short pause keeps a broken server from being hammered in a spin
        vertx.setTimer(BACKOFF_MS, id -> loop(vertx, step, end, stopped));
      }
    });
  }
}
