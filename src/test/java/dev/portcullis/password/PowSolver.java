package dev.portcullis.password;

import dev.portcullis.core.ProofOfWork;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The proof-of-work solver exactly as the README's JavaScript does it: try the decimal counters 0, 1, 2, ... as
 * {@code pow_solution} until SHA-256 of {@code challenge_token + ":" + counter} (UTF-8) begins with
 * {@code difficulty} zero bits. Written independently of {@link ProofOfWork}, so a test of one checks the other.
 */
final class PowSolver {

  private PowSolver() {
  }

  static String solve(String challengeToken, int difficulty) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (long counter = 0; ; counter++) {
      byte[] digest = sha256.digest((challengeToken + ":" + counter).getBytes(StandardCharsets.UTF_8));
      if (zeroBits(digest) >= difficulty) {
        return Long.toString(counter);
      }
    }
  }

  /** Like the README's leadingZeroBits: whole zero bytes count 8, then the zero bits of the first other byte. */
  static int zeroBits(byte[] digest) {
    int bits = 0;
    for (byte b : digest) {
      int value = b & 0xff;
      if (value == 0) {
        bits += 8;
        continue;
      }
      int mask = 0x80;
      while ((value & mask) == 0) {
        bits++;
        mask >>= 1;
      }
      break;
    }
    return bits;
  }
}
