package dev.portcullis.password;

import dev.portcullis.core.GatewayConfig;

/**
 * The gateway configuration of password hashing. Argon2id may be configured stronger than m = 19 MiB, t = 2,
 * p = 1, never weaker; a change of parameters takes effect for new hashes, and each login rehashes an older one.
 *
 * @param threads hashing threads (0 in the configuration: one per core)
 * @param capacity hashes admitted at once, running plus waiting; beyond it 503
 * @param nice the hashing threads' nice value on Linux (0: as every other thread): busy cores serve the event
 *     loops first
 */
public record HashingSettings(Argon2id argon2id, int threads, int capacity, int nice) {

  public static final String MEMORY_KIB = "PORTCULLIS_PASSWORD_HASH_MEMORY_KIB";
  public static final String ITERATIONS = "PORTCULLIS_PASSWORD_HASH_ITERATIONS";
  public static final String PARALLELISM = "PORTCULLIS_PASSWORD_HASH_PARALLELISM";
  public static final String THREADS = "PORTCULLIS_PASSWORD_HASH_THREADS";
  /** Hashes that may wait per hashing thread before new ones are refused. */
  public static final String QUEUE_PER_THREAD = "PORTCULLIS_PASSWORD_HASH_QUEUE_PER_THREAD";
  public static final String NICE = "PORTCULLIS_PASSWORD_HASH_NICE";

  public static HashingSettings from(GatewayConfig config) {
    Argon2id argon2id = new Argon2id(
        config.integer(MEMORY_KIB, Argon2id.DEFAULT.memoryKib(), 4 * 1024 * 1024),
        config.integer(ITERATIONS, Argon2id.DEFAULT.iterations(), 100),
        config.integer(PARALLELISM, Argon2id.DEFAULT.parallelism(), 64));
    int configured = config.integer(THREADS, 0, 1024);
    int threads = configured == 0 ? Runtime.getRuntime().availableProcessors() : configured;
    int queue = config.integer(QUEUE_PER_THREAD, 0, 10_000);
    return new HashingSettings(argon2id, threads, threads * (1 + queue), config.integer(NICE, 0, 19));
  }
}
