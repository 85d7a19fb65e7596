package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Leased rate-limit counts")
class CounterLeaseTest {

  private static final long NOW = 1_000_000;

  @Test
  @DisplayName("a busy counter leases 1, 2, 4 ... counts up to a thirty-second of its limit, and none while it holds enough")
  void leasesGrowToTheCap() {
    CounterLease lease = new CounterLease(320);
    long total = 0;
    long[] sizes = new long[6];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = lease.toLease(1, NOW);
      total += sizes[i];
      lease.granted(sizes[i], total, 60_000, NOW);
      assertTrue(lease.take());
      for (long spare = 1; spare < sizes[i]; spare++) {
        assertEquals(0, lease.toLease(1, NOW), "a held count is used before Redis is asked");
        assertTrue(lease.take());
      }
    }
    assertEquals("[1, 2, 4, 8, 10, 10]", java.util.Arrays.toString(sizes));
  }

  @Test
  @DisplayName("while a lease is in flight, the next turns ask only for their own calls: the spare held and asked for stays under a lease")
  void spareStaysUnderALeaseWithLeasesInFlight() {
    CounterLease lease = new CounterLease(320);
    long total = grownToFullLeases(lease);
    long first = lease.toLease(1, NOW);
    long second = lease.toLease(1, NOW);
    long third = lease.toLease(2, NOW);
    assertEquals(10, first, "a full lease: the call's count and 9 spare");
    assertEquals(1, second, "9 spare are already asked for");
    assertEquals(2, third);
    lease.granted(third, total + third, 60_000, NOW);
    lease.granted(second, total + third + second, 60_000, NOW);
    lease.granted(first, total + third + second + first, 60_000, NOW);
    for (int call = 0; call < 4; call++) {
      assertTrue(lease.take(), "every waiting call gets its count, whatever order the answers came in");
    }
    int spare = 0;
    while (lease.spareNow(NOW)) {
      lease.takeSpare();
      spare++;
    }
    assertEquals(9, spare);
  }

  @Test
  @DisplayName("a lease Redis did not answer is not counted as asked for")
  void unansweredLease() {
    CounterLease lease = new CounterLease(320);
    grownToFullLeases(lease);
    long lost = lease.toLease(1, NOW);
    lease.notGranted(lost);
    lease.release();
    assertEquals(10, lease.toLease(1, NOW), "the spare of the lost lease may be asked for again");
  }

  @Test
  @DisplayName("of a lease that crosses the limit only the counts up to the limit are handed out, then the window refuses without Redis")
  void grantStopsAtTheLimit() {
    CounterLease lease = new CounterLease(320);
    long size = lease.toLease(3, NOW);
    assertEquals(3, size);
    lease.granted(size, 321, 42_000, NOW);
    assertTrue(lease.take());
    assertTrue(lease.take());
    assertFalse(lease.take(), "the third count is number 321");
    assertEquals(0, lease.toLease(5, NOW + 1), "a full window is not asked again");
    for (int i = 0; i < 5; i++) {
      assertFalse(lease.take());
    }
    assertEquals(41_999, lease.remainingMs(NOW + 1));
  }

  @Test
  @DisplayName("a new window starts again from one count, and drops what nobody was promised")
  void newWindow() {
    CounterLease lease = new CounterLease(320);
    lease.granted(lease.toLease(1, NOW), 1, 1_000, NOW);
    lease.take();
    lease.granted(lease.toLease(1, NOW), 3, 1_000, NOW);
    lease.take();
    assertEquals(2, lease.toLease(2, NOW + 1_000), "the count held from the old window is not used in the new one");
    assertFalse(lease.idleSince(NOW + 1_000), "two calls wait for their counts");
  }

  @Test
  @DisplayName("a spare count goes to a call at once only in a live window and never one a waiting call was promised")
  void spareCounts() {
    CounterLease lease = new CounterLease(320);
    assertFalse(lease.spareNow(NOW), "nothing held yet");
    long size = lease.toLease(1, NOW);
    lease.granted(size, size, 1_000, NOW);
    assertTrue(lease.take());
    assertEquals(2, lease.toLease(1, NOW), "one of the two counts is promised to a waiting call");
    lease.granted(2, 3, 1_000, NOW);
    assertTrue(lease.spareNow(NOW));
    lease.takeSpare();
    assertFalse(lease.spareNow(NOW), "the last held count is the waiting call's");
    assertTrue(lease.take(), "and the waiting call still gets it");
    lease.granted(lease.toLease(1, NOW), 7, 1_000, NOW);
    assertTrue(lease.take());
    assertTrue(lease.spareNow(NOW + 999));
    assertFalse(lease.spareNow(NOW + 1_000), "the window ended: counts held from it are not handed out");
  }

  /** Leases 1, 2, 4, 8 and 10 counts (a limit of 320), each used up: the next lease is a full one. The window's total. */
  private static long grownToFullLeases(CounterLease lease) {
    long total = 0;
    for (int i = 0; i < 5; i++) {
      long size = lease.toLease(1, NOW);
      total += size;
      lease.granted(size, total, 60_000, NOW);
      assertTrue(lease.take());
      while (lease.spareNow(NOW)) {
        lease.takeSpare();
      }
    }
    return total;
  }
}
