package dev.portcullis.license;

import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The license generation of an app: a random token in Redis, replaced after every committed change that a
 * {@code verify} could see (a device activated or deactivated, a license suspended, reinstated or revoked, a
 * policy changed or deleted). {@link VerifyCache} keeps an answer only while the generation it was read under
 * is still the app's, and every verify reads the generation in the same Redis pipeline as its rate limits, so
 * a change made through any gateway process shows on the next verify everywhere. A random token rather than a
 * counter, so a flushed Redis cannot bring an old generation back.
 */
final class LicenseGenerations {

  private static final Logger LOG = LoggerFactory.getLogger(LicenseGenerations.class);
  private static final long KEEP_SECONDS = 86_400;

  private final RedisStore redis;

  LicenseGenerations(RedisStore redis) {
    this.redis = redis;
  }

  static String key(RedisStore redis, UUID appId) {
    return redis.key("{license:gen:" + appId + "}");
  }

  /**
   * Starts a new generation of the app's licenses; call it after the change committed. Never fails: when Redis
   * does not take it, cached answers of other processes last at most {@link VerifyCache#TTL_MS} longer.
   */
  Future<Void> bump(UUID appId) {
    String generation = Long.toHexString(ThreadLocalRandom.current().nextLong());
    return redis.send(Request.cmd(Command.SET).arg(key(redis, appId)).arg(generation).arg("EX").arg(KEEP_SECONDS))
        .<Void>mapEmpty()
        .recover(failure -> {
          LOG.warn("license generation of app {} not replaced: {}", appId, failure.getMessage());
          return Future.succeededFuture();
        });
  }
}
