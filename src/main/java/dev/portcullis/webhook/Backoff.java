package dev.portcullis.webhook;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.function.Supplier;

/**
 * Retries a delivery with back-off: one attempt, then one more after each wait, as long as the failure is
 * retryable (anything but a {@link DeliveryFailure} that says otherwise). Waits on timers, never blocks.
 */
public final class Backoff {

  private final Vertx vertx;
  private final List<Long> waitsMs;

  public Backoff(Vertx vertx, List<Long> waitsMs) {
    this.vertx = vertx;
    this.waitsMs = List.copyOf(waitsMs);
  }

  /** {@code retries} retries, the first after {@code firstMs}, each later one after twice the wait before it. */
  public static Backoff doubling(Vertx vertx, long firstMs, int retries) {
    java.util.List<Long> waits = new java.util.ArrayList<>();
    for (int i = 0; i < retries; i++) {
      waits.add(firstMs << i);
    }
    return new Backoff(vertx, waits);
  }

  /** At most {@code waits + 1} attempts; gives up with a non-retryable {@link DeliveryFailure} saying how it ended. */
  public Future<Void> run(Supplier<Future<Void>> attempt) {
    return attempt(attempt, 0);
  }

  private Future<Void> attempt(Supplier<Future<Void>> attempt, int retries) {
    return attempt.get().recover(failure -> {
      boolean retryable = !(failure instanceof DeliveryFailure delivery) || delivery.retryable();
      if (!retryable || retries >= waitsMs.size()) {
        int attempts = retries + 1;
        return Future.failedFuture(new DeliveryFailure(
            "gave up after " + attempts + (attempts == 1 ? " attempt" : " attempts") + ", last " + failure.getMessage(),
            false));
      }
      Promise<Void> later = Promise.promise();
      vertx.setTimer(waitsMs.get(retries), id -> attempt(attempt, retries + 1).onComplete(later));
      return later.future();
    });
  }
}
