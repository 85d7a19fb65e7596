package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The proof of work of a challenge")
class ProofOfWorkTest {

  @Test
  @DisplayName("a solution is checked with one SHA-256: enough leading zero bits, at most 64 characters")
  void proofOfWork() {
    String token = "tok";
    String solution = solve(token, 12);
    assertTrue(ProofOfWork.solves(token, solution, 12));
    assertTrue(ProofOfWork.solves(token, null, 0));
    assertFalse(ProofOfWork.solves(token, null, 1));
    assertFalse(ProofOfWork.solves(token, "x".repeat(65), 1));
    assertFalse(ProofOfWork.solves(token + "x", solution, 12) && ProofOfWork.solves(token, solution + "0", 12)
        && ProofOfWork.solves(token, "0", 12) && ProofOfWork.solves(token, "1", 12));
    // 64 characters counted as code points, as API.md counts them: 40 emoji and a few digits are within it.
    String emoji = "\uD83D\uDE00".repeat(40);
    String wide = null;
    for (long n = 0; wide == null; n++) {
      if (ProofOfWork.leadingZeroBits(Secrets.sha256(token + ":" + emoji + n)) >= 4) {
        wide = emoji + n;
      }
    }
    assertTrue(ProofOfWork.solves(token, wide, 4), "a solution of 40 emoji and digits is under 64 characters");
    assertEquals(8, ProofOfWork.leadingZeroBits(new byte[] {0, (byte) 0x80}));
    assertEquals(11, ProofOfWork.leadingZeroBits(new byte[] {0, 0x10}));
  }

  static String solve(String token, int difficulty) {
    for (long n = 0; ; n++) {
      String candidate = Long.toString(n);
      if (ProofOfWork.solves(token, candidate, difficulty)) {
        return candidate;
      }
    }
  }
}
