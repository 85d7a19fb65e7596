package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The counter leases of an event loop")
class CounterLeasesTest {

  private static final long NOW = 5_000_000;

  /** A counter seen once, its count handed out, its window ending at {@code NOW + windowMs}. */
  private static void seenOnce(CounterLeases leases, String counter, long windowMs) {
    CounterLease lease = leases.of(counter, () -> 120);
    lease.granted(lease.toLease(1, NOW), 1, windowMs, NOW);
    lease.take();
  }

  @Test
  @DisplayName("a flood of random keys within one window stays bounded; counters with calls waiting are kept")
  void boundedUnderAFloodOfKeys() {
    CounterLeases leases = new CounterLeases();
    CounterLease waiting = leases.of("{license:key:waiting}", () -> 120);
    waiting.toLease(1, NOW);
    for (int i = 0; i < 50_000; i++) {
      seenOnce(leases, "{license:key:" + i + "}", 60_000);
      leases.tidy(NOW + 1);
    }
    assertTrue(leases.size() <= CounterLeases.MAX_COUNTERS + 1, "counters kept: " + leases.size());
    assertNotNull(leases.held("{license:key:waiting}"), "a call still waits for its count");
  }

  @Test
  @DisplayName("past a thousand counters, those whose window ended go")
  void endedWindowsGo() {
    CounterLeases leases = new CounterLeases();
    for (int i = 0; i < 1_500; i++) {
      seenOnce(leases, "{license:ip:198.18.0." + i + "}", i < 1_000 ? 1_000 : 60_000);
    }
    leases.tidy(NOW + 1_000);
    assertEquals(500, leases.size());
  }
}
