package dev.portcullis.chaos;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The README's proof-of-work solver: decimal counters until SHA-256(token + ":" + counter) has enough zero bits. */
final class ProofOfWork {

  private ProofOfWork() {
  }

  static String solve(String challengeToken, int difficulty) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (long counter = 0; ; counter++) {
      String solution = Long.toString(counter);
      byte[] digest = sha256.digest((challengeToken + ":" + solution).getBytes(StandardCharsets.UTF_8));
      if (leadingZeroBits(digest) >= difficulty) {
        return solution;
      }
    }
  }

  private static int leadingZeroBits(byte[] digest) {
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
