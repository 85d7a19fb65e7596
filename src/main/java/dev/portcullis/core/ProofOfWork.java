package dev.portcullis.core;

/**
 * The proof of work a challenge may ask for: a {@code pow_solution} of at most 64 characters such that
 * SHA-256 of {@code challenge_token + ":" + pow_solution} (UTF-8) begins with {@code difficulty} zero bits.
 * Checking costs one hash; finding takes 2^difficulty hashes on average.
 */
public final class ProofOfWork {

  public static final int MAX_SOLUTION_LENGTH = 64;

  private ProofOfWork() {
  }

  /** True when {@code solution} solves the challenge; any solution passes difficulty 0. */
  public static boolean solves(String challengeToken, String solution, int difficulty) {
    if (difficulty <= 0) {
      return true;
    }
    if (solution == null || solution.isEmpty() || solution.codePointCount(0, solution.length()) > MAX_SOLUTION_LENGTH) {
      return false;
    }
    return leadingZeroBits(Secrets.sha256(challengeToken + ":" + solution)) >= difficulty;
  }

  static int leadingZeroBits(byte[] digest) {
    int bits = 0;
    for (byte b : digest) {
      if (b == 0) {
        bits += 8;
        continue;
      }
      return bits + Integer.numberOfLeadingZeros(b & 0xff) - 24;
    }
    return bits;
  }
}
