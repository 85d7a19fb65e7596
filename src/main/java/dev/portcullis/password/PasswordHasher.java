package dev.portcullis.password;

import dev.portcullis.core.Secrets;
import io.vertx.core.Future;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

/**
 * Hashing and checking passwords on the {@link HashingPool}, never on the caller's thread. A check against no
 * hash (an unknown identity, a user without a password) runs against a dummy hash of the same parameters, so it
 * costs what a real check costs and the answer's timing does not tell whether an account exists.
 */
public final class PasswordHasher {

  private final Argon2id parameters;
  private final HashingPool pool;
  private final String dummyHash;

  private PasswordHasher(Argon2id parameters, HashingPool pool, String dummyHash) {
    this.parameters = parameters;
    this.pool = pool;
    this.dummyHash = dummyHash;
  }

  /** Ready once the dummy hash is made (on the pool). */
  public static Future<PasswordHasher> create(Argon2id parameters, HashingPool pool) {
    return pool.atStart(() -> {
          // the common-password list is read here, on a worker, rather than by the first signup on an event loop
          CommonPasswords.size();
          return parameters.hash(Secrets.randomToken(24));
        })
        .map(dummy -> new PasswordHasher(parameters, pool, dummy));
  }

  /** The PHC string of a new hash of the (normalised) password, for a user of that app. */
  public Future<String> hash(UUID appId, String password) {
    return hash(appId, password, startBy(HashingPool.MAX_QUEUE_WAIT_NANOS));
  }

  /** As {@link #hash(UUID, String)}, refused (503) unless a thread takes it by {@code startBy} ({@link #startBy}). */
  public Future<String> hash(UUID appId, String password, long startBy) {
    return pool.submit(appId, () -> parameters.hash(password), startBy);
  }

  /** A deadline {@code waitNanos} from now, on the pool's clock, for the calls that take one. */
  public long startBy(long waitNanos) {
    return pool.startBy(waitNanos);
  }

  /** True when the password matches {@code phc}; false, after the same work, when {@code phc} is null. */
  public Future<Boolean> verify(UUID appId, String password, String phc) {
    return verify(appId, password, phc, startBy(HashingPool.MAX_QUEUE_WAIT_NANOS));
  }

  /** As {@link #verify(UUID, String, String)}, refused (503) unless a thread takes it by {@code startBy}. */
  public Future<Boolean> verify(UUID appId, String password, String phc, long startBy) {
    if (phc == null) {
      return pool.submit(appId, () -> {
        timed(password, dummyHash);
        return false;
      }, startBy);
    }
    if (!parameters.needsRehash(phc)) {
      return pool.submit(appId, () -> timed(password, phc), startBy);
    }
    // A hash made under older settings (the next sign-in rehashes it) checks in what those cost: weaker ones, made
    // before the operator raised them, answered a wrong password in 22 ms where an unknown email took 313, so one
    // request told that the account exists. The thread then stays busy until a current check's time has passed, as
    // it would for one: adding a whole dummy check instead made it the old work slower than an unknown email (h68).
    // Before any current check was timed, the dummy's check itself stands in for it.
    return pool.submit(appId, () -> {
      long started = System.nanoTime();
      boolean matches = Argon2id.verify(password, phc);
      long typical = pool.typicalCheckNanos();
      if (typical == 0) {
        timed(password, dummyHash);
      } else if (typical > System.nanoTime() - started) {
        LockSupport.parkNanos(typical - (System.nanoTime() - started));
      }
      return matches;
    }, startBy);
  }

  /** A check under the current settings, timed for {@link HashingPool#typicalCheckNanos}. */
  private boolean timed(String password, String phc) {
    long started = System.nanoTime();
    boolean matches = Argon2id.verify(password, phc);
    pool.checked(System.nanoTime() - started);
    return matches;
  }

  public boolean needsRehash(String phc) {
    return parameters.needsRehash(phc);
  }
}
