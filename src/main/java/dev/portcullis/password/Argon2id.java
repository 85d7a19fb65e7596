package dev.portcullis.password;

import de.mkammerer.argon2.Argon2Advanced;
import de.mkammerer.argon2.Argon2Factory;
import dev.portcullis.core.Secrets;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Argon2id (RFC 9106) with PHC strings ({@code $argon2id$v=19$m=19456,t=2,p=1$salt$hash}), computed by the
 * reference C implementation (phc-winner-argon2, bundled with argon2-jvm and called through JNA). Its memory
 * is malloc'd and freed by C for each hash, so 19 MiB a check never passes through the Java heap: with a pure
 * Java implementation every young collection copied the blocks of the hashes in flight, and the gateway hashed
 * at half the rate of a lone thread. Hashes written by password4j (earlier versions) are the same strings and
 * verify here. Every method is CPU-bound and slow on purpose: call it only from the {@link HashingPool}, never
 * from an event loop.
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
  private static final String VERSION = "$argon2id$v=19$";

  public Argon2id {
    if (memoryKib < 8 * parallelism || iterations < 1 || parallelism < 1) {
      throw new IllegalArgumentException("Argon2id parameters out of range");
    }
  }

  /** Loaded by the first hash (on the hashing pool), not by whoever first names the parameters. */
  private static final class Native {
    static final Argon2Advanced ARGON2 = Argon2Factory.createAdvanced(Argon2Factory.Argon2Types.ARGON2id,
        SALT_BYTES, HASH_BYTES);
  }

  /** The PHC string of a fresh hash of {@code password} (already normalised), with a random 128-bit salt. */
  public String hash(String password) {
    char[] chars = password.toCharArray();
    try {
      return Native.ARGON2.hash(iterations, memoryKib, parallelism, chars, StandardCharsets.UTF_8,
          Secrets.randomBytes(SALT_BYTES));
    } finally {
      Arrays.fill(chars, '\0');
    }
  }

  /**
   * True when {@code password} matches {@code phc}, checked with the parameters written in {@code phc} (a hash
   * made under older parameters still verifies; the comparison is constant-time). A string that is not an
   * Argon2id PHC string never matches.
   */
  public static boolean verify(String password, String phc) {
    if (phc == null || !phc.startsWith(PREFIX)) {
      return false;
    }
    char[] chars = password.toCharArray();
    try {
      return Native.ARGON2.verify(phc, chars, StandardCharsets.UTF_8);
    } catch (RuntimeException malformed) {
      return false;
    } finally {
      Arrays.fill(chars, '\0');
    }
  }

  /** True when {@code phc} was made with other parameters than these: the login that verified it rehashes. */
  public boolean needsRehash(String phc) {
    if (phc == null || !phc.startsWith(VERSION)) {
      return true;
    }
    String[] parts = phc.split("\\$");
    // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
    return parts.length != 6 || !parts[3].equals("m=" + memoryKib + ",t=" + iterations + ",p=" + parallelism);
  }
}
