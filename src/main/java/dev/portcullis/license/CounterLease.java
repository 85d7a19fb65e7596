package dev.portcullis.license;

/**
 * The counts of one rate-limit counter that this event loop holds from Redis for the current window: what it
 * may still hand out without asking, what of that is promised to calls waiting for their turn's answer, what is
 * asked for and not yet answered, and how many counts to ask for next. A lease is granted only up to the limit:
 * of {@code n} counts that took the window's total to {@code t}, those numbered at most the limit are this
 * loop's to hand out. Each lease covers the calls it was asked for; what it asks beyond them is spare, and the
 * spare held and asked for together stays under the largest lease, so counts this loop holds unused (refused
 * to every other loop) never reach a lease, however many turns wait on Redis at once.
 */
final class CounterLease {

  private static final long MAX_LEASE = 256;

  private final long limit;
  private final long maxLease;
  private long windowEndsAt;
  private long available;
  private long promised;
  /** Counts asked of Redis and not yet answered. */
  private long leasing;
  private long nextLease = 1;
  private boolean windowFull;

  CounterLease(long limit) {
    this.limit = limit;
    this.maxLease = Math.max(1, Math.min(MAX_LEASE, limit / 32));
  }

  /**
   * Promises {@code calls} counts to a turn's calls; answers how many counts to lease from Redis for them (0
   * when this loop holds enough, or when the window is known to be full and they will be refused).
   */
  long toLease(int calls, long now) {
    if (now >= windowEndsAt) {
      available = Math.min(available, promised);
      nextLease = 1;
      windowFull = false;
    }
    long free = available - promised;
    promised += calls;
    if (free >= calls || windowFull) {
      return 0;
    }
    long needed = calls - Math.max(free, 0);
    // spare once every lease in flight is answered and the promised calls have taken their counts
    long spareAhead = Math.max(0, available + leasing - promised + needed);
    long spare = Math.max(0, Math.min(nextLease - needed, maxLease - 1 - spareAhead));
    nextLease = Math.min(maxLease, nextLease * 2);
    leasing += needed + spare;
    return needed + spare;
  }

  /** What Redis answered to a lease of {@code leased} counts: the window's total after it and its time left. */
  void granted(long leased, long total, long remainingMs, long now) {
    leasing -= leased;
    available += Math.max(0, Math.min(leased, limit - (total - leased)));
    windowEndsAt = now + remainingMs;
    windowFull = total >= limit;
  }

  /** True when a call can have a count at once: this loop holds one in a live window, and no waiting call has it. */
  boolean spareNow(long now) {
    return now < windowEndsAt && available > promised;
  }

  /** True when the window is known full here and this loop holds no count for another call: refused, unasked. */
  boolean refusesNow(long now) {
    return now < windowEndsAt && windowFull && available <= promised;
  }

  /** Hands a spare count ({@link #spareNow}) to a call that does not wait for Redis. */
  void takeSpare() {
    available--;
  }

  /** Hands one promised count to a call: false when there is none, and the call is over the limit. */
  boolean take() {
    promised--;
    if (available > 0) {
      available--;
      return true;
    }
    return false;
  }

  /** A lease of {@code leased} counts that Redis did not answer: nothing of it was granted. */
  void notGranted(long leased) {
    leasing -= leased;
  }

  /** Withdraws a promise whose call failed before it was counted (Redis did not answer). */
  void release() {
    promised--;
  }

  long remainingMs(long now) {
    return Math.max(0, windowEndsAt - now);
  }

  /** True when no call waits for a count of this counter. */
  boolean unpromised() {
    return promised == 0;
  }

  /** True when the window ended and no call waits on this counter: nothing here is worth keeping. */
  boolean idleSince(long now) {
    return now >= windowEndsAt && promised == 0;
  }
}
