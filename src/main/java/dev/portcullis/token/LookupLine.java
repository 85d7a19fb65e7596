package dev.portcullis.token;

import dev.portcullis.core.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;

/**
 * Look-ups that wait their turn: at most {@code running} at once, {@code waiting} more queued, each queued at most
 * {@code maxWaitMs}; beyond, {@code 503}. For one verticle instance (one event loop, so no locks).
 */
final class LookupLine {

  private record Queued(Runnable start, Promise<?> answer, long sinceMs) {
  }

  private final int maxRunning;
  private final int maxWaiting;
  private final long maxWaitMs;
  private final String what;
  private final Deque<Queued> waiting = new ArrayDeque<>();
  private int running;

  LookupLine(int maxRunning, int maxWaiting, long maxWaitMs, String what) {
    this.maxRunning = maxRunning;
    this.maxWaiting = maxWaiting;
    this.maxWaitMs = maxWaitMs;
    this.what = what;
  }

  <T> Future<T> run(Supplier<Future<T>> lookup) {
    if (running < maxRunning) {
      return start(lookup);
    }
    if (waiting.size() >= maxWaiting) {
      return Future.failedFuture(ApiException.unavailable(what));
    }
    Promise<T> answer = Promise.promise();
    waiting.add(new Queued(() -> start(lookup).onComplete(answer), answer, System.currentTimeMillis()));
    return answer.future();
  }

  private <T> Future<T> start(Supplier<Future<T>> lookup) {
    running++;
    Future<T> started;
    try {
      started = lookup.get();
    } catch (RuntimeException failure) {
      started = Future.failedFuture(failure);
    }
    return started.onComplete(done -> {
      running--;
      next();
    });
  }

  private void next() {
    long now = System.currentTimeMillis();
    while (!waiting.isEmpty() && running < maxRunning) {
      Queued queued = waiting.poll();
      if (now - queued.sinceMs() >= maxWaitMs) {
        queued.answer().tryFail(ApiException.unavailable(what));
      } else {
        queued.start().run();
      }
    }
  }
}
