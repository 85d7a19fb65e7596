package dev.portcullis.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/** Polls a condition until it holds or a deadline passes: the way to wait for something in a test. */
public final class Await {

  private Await() {
  }

  public static void until(String what, Duration deadline, BooleanSupplier condition) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + deadline.toMillis() + " ms waiting for " + what);
      }
      LockSupport.parkNanos(20_000_000L);
    }
  }
}
