package dev.portcullis.license;

import dev.portcullis.core.Bus;
import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import dev.portcullis.core.messages.LicenseMessages;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The license generation of an app: a random token in Redis, replaced after every committed change that a
 * {@code verify} could see (a device activated or deactivated, a license suspended, reinstated or revoked, a
 * policy changed or deleted). {@link VerifyCache} keeps an answer only while the generation it was read under
 * is still the app's. A replacement is published on a Redis channel in the same script that makes it; every
 * process relays what it hears to its event loops ({@link LicenseChangeRelay}), which then read the app's
 * generation again ({@link CallLimits}). A random token rather than a counter, so a flushed Redis cannot bring
 * an old generation back.
 */
final class LicenseGenerations {

  private static final Logger LOG = LoggerFactory.getLogger(LicenseGenerations.class);
  private static final long KEEP_SECONDS = 86_400;
  private static final RedisScript REPLACE = RedisScript.load("license-generation.lua");

  private final Vertx vertx;
  private final RedisStore redis;

  LicenseGenerations(Vertx vertx, RedisStore redis) {
    this.vertx = vertx;
    this.redis = redis;
  }

  static String key(RedisStore redis, UUID appId) {
    return redis.key("{license:gen:" + appId + "}");
  }

  /** The channel replacements are announced on, under the configured key prefix. */
  static String channel(String redisPrefix) {
    return redisPrefix + "license-changed";
  }

  /**
   * Starts a new generation of the app's licenses; call it after the change committed. Never fails: when Redis
   * does not take it, cached answers of other processes last at most {@link VerifyCache#TTL_MS} longer.
   */
  Future<Void> bump(UUID appId) {
    String generation = Long.toHexString(ThreadLocalRandom.current().nextLong());
    return REPLACE.run(redis, List.of(key(redis, appId)),
            List.of(generation, Long.toString(KEEP_SECONDS), channel(redis.key()), appId.toString()))
        .<Void>mapEmpty()
        .recover(failure -> {
          LOG.warn("license generation of app {} not replaced: {}", appId, failure.getMessage());
          return Future.succeededFuture();
        })
        .onComplete(done -> Bus.publish(vertx, Bus.LICENSE_CHANGED, new LicenseMessages.Changed(appId)));
  }
}
