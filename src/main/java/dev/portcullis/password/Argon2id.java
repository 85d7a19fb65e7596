package dev.portcullis.password;

import com.password4j.Argon2Function;
import com.password4j.types.Argon2;
import dev.portcullis.core.Secrets;
import java.nio.charset.StandardCharsets;

/**
 * Argon2id (RFC 9106) through password4j, with PHC strings ({@code $argon2id$v=19$m=19456,t=2,p=1$salt$hash}).
 * Every method here is CPU-bound and slow on purpose: call it only from the {@link HashingPool}, never from an
 * event loop.
 *
 * @param memoryKib memory cost in KiB (OWASP's minimum for Argon2id: 19 MiB)
 * @param iterations time cost
 * @param parallelism lanes
 */
public record Argon2id(int memoryKib, int iterations, int parallelism) {

  public static final Argon2id DEFAULT = new Argon2id(19 * 1024, 2, 1);
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  private static final String PREFIX = "$argon2id$";

  public Argon2id {
    if (memoryKib < 8 * parallelism || iterations < 1 || parallelism < 1) {
      throw new IllegalArgumentException("Argon2id parameters out of range");
    }
  }

  /** The PHC string of a fresh hash of {@code password} (already normalised), with a random 128-bit salt. */
  public String hash(String password) {
    return function().hash(password.getBytes(StandardCharsets.UTF_8), Secrets.randomBytes(SALT_BYTES)).getResult();
  }

  /**
   * True when {@code password} matches {@code phc}, checked with the parameters written in {@code phc} (a hash
   * made under older parameters still verifies). A string that is not an Argon2id PHC string never matches.
   */
  public static boolean verify(String password, String phc) {
    if (phc == null || !phc.startsWith(PREFIX)) {
      return false;
    }
    try {
      return Argon2Function.getInstanceFromHash(phc).check(password, phc);
    } catch (RuntimeException malformed) {
      return false;
    }
  }

  /** True when {@code phc} was made with other parameters than these: the login that verified it rehashes. */
  public boolean needsRehash(String phc) {
    if (phc == null || !phc.startsWith(PREFIX)) {
      return true;
    }
    try {
      Argon2Function stored = Argon2Function.getInstanceFromHash(phc);
      return stored.getMemory() != memoryKib || stored.getIterations() != iterations
          || stored.getParallelism() != parallelism || stored.getVersion() != Argon2Function.ARGON2_VERSION_13;
    } catch (RuntimeException malformed) {
      return true;
    }
  }

  private Argon2Function function() {
    return Argon2Function.getInstance(memoryKib, iterations, parallelism, HASH_BYTES, Argon2.ID,
        Argon2Function.ARGON2_VERSION_13);
  }
}
