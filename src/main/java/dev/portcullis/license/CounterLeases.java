package dev.portcullis.license;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The counter leases of one event loop, by counter name, bounded: random keys or many addresses must not grow
 * the heap. Once there are twice as many counters as after the last tidying (and over {@link #TIDY_ABOVE}),
 * those whose window ended with no call waiting are dropped, and past {@link #MAX_COUNTERS} every counter with
 * no call waiting is, window or not; so a flood costs a scan now and then, not one per turn. Dropping a lease
 * forfeits the counts it still held, which only makes its limit bite earlier.
 */
final class CounterLeases {

  static final int TIDY_ABOVE = 1_000;
  static final int MAX_COUNTERS = 10_000;

  private final Map<String, CounterLease> leases = new HashMap<>();
  private int tidyAbove = TIDY_ABOVE;

  /** The counter's lease, made with the limit {@code limit} gives when there is none. */
  CounterLease of(String counter, LongSupplier limit) {
    return leases.computeIfAbsent(counter, name -> new CounterLease(limit.getAsLong()));
  }

  /** Only for counters a waiting call holds a promise on. */
  CounterLease held(String counter) {
    return leases.get(counter);
  }

  /** Drops what is not worth keeping; call it before a turn's calls take their promises. */
  void tidy(long now) {
    if (leases.size() <= tidyAbove) {
      return;
    }
    leases.values().removeIf(lease -> lease.idleSince(now));
    if (leases.size() > MAX_COUNTERS / 2) {
      leases.values().removeIf(CounterLease::unpromised);
    }
    tidyAbove = Math.max(TIDY_ABOVE, Math.min(MAX_COUNTERS, 2 * leases.size()));
  }

  int size() {
    return leases.size();
  }
}
