package dev.portcullis.password;

/**
 * How much proof of work a challenge asks for, from what Redis counted recently (README, "Passwords and
 * anti-abuse challenges", gives the same formula with solve times):
 *
 * <pre>
 *   f = max(failures of the identity, failures from the client network, floor(failures in the app / 10))
 *       within the 15-minute failure window (the app's per minute)
 *   f = f + floor(challenges from the network in the last minute / 30)    when f > 0
 *   difficulty = 0                                    when f = 0
 *              = min(max, 10 + 2 * floor(log2 f))     otherwise
 *              = max                                  after 100 consecutive failures of the identity
 * </pre>
 *
 * One failure costs the next attempt about 2^10 hashes (milliseconds); every doubling of failures multiplies
 * the work by four.
 */
public record Difficulty(long identityFailures, long consecutiveFailures, long networkFailures, long appFailures,
                         long networkChallenges) {

  public static final int BASE = 10;
  public static final int STEP = 2;
  /** NIST SP 800-63B 5.2.2: at most 100 consecutive failed attempts on one account. */
  public static final int CONSECUTIVE_CEILING = 100;
  static final int APP_FAILURES_PER_STEP = 10;
  static final int CHALLENGES_PER_STEP = 30;

  public int of(int max) {
    if (consecutiveFailures >= CONSECUTIVE_CEILING) {
      return max;
    }
    long f = Math.max(Math.max(identityFailures, networkFailures), appFailures / APP_FAILURES_PER_STEP);
    if (f <= 0) {
      return 0;
    }
    f += networkChallenges / CHALLENGES_PER_STEP;
    int log2 = 63 - Long.numberOfLeadingZeros(f);
    return Math.min(max, BASE + STEP * log2);
  }
}
