package dev.portcullis.token;

import dev.portcullis.app.AppRepository;
import dev.portcullis.app.AppSettings;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.RedisStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revoked sessions as Redis markers, so every gateway process sees a revocation on its next {@code /auth/me}.
 * A marker outlives every access token of its session: no token lives longer than the longest access token
 * TTL. Postgres keeps the durable record ({@code sessions.revoked_at}); one SET per session keeps this
 * working on Redis Cluster too, where the keys of several sessions may live on different nodes.
 *
 * <p>A marker is written after the revocation committed ({@link #publish}). Until it is in Redis the session is
 * <em>pending</em> in this process (a map shared by the verticles of one Vert.x instance), and this process's
 * {@code /auth/me} reads such a session from Postgres instead of trusting the absent marker. A failed write is
 * retried on the event loop by timers ({@link #RETRY_DELAYS_MS}, about a minute in all); when every attempt
 * failed the session stays pending until no access token of it can still be valid. Other processes do not see
 * the pending map: they read the session from Postgres at most {@link Introspection#VIEW_TTL_MS} after their
 * last read of it, so without the marker they refuse its tokens at most that long after the commit.
 */
final class Revocations {

  private static final Logger LOG = LoggerFactory.getLogger(Revocations.class);

  /**
   * As long as any access token of the session may still be accepted: the longest TTL, the verifiers' expiry
   * leeway, and the skew of a process running ahead (whose tokens expire that much later), which the retired
   * signing keys' publication margin allows for too.
   */
  static final long MARKER_TTL_SECONDS = AppSettings.MAX_ACCESS_TOKEN_TTL + (long) AppRepository.KEY_PUBLISH_MARGIN_SECONDS;

  /**
   * Markers written at once, a wave after the other: a user's thousands of sessions sent together overran the
   * client's queue and the backend timeout, and each marker failed its first write (scale probe: 2,826 of 5,003).
   */
  private static final int WAVE = 256;

  /** Waits between the attempts to write a marker (after the first, which the revocation's answer waits for). */
  static final long[] RETRY_DELAYS_MS = {100, 250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000};

  /** Sessions of this Vert.x instance whose marker is not yet in Redis: session id → until when (epoch ms). */
  static final String PENDING_MAP = "portcullis.revocation-markers-pending";

  private final Vertx vertx;
  private final RedisStore redis;
  private final LocalMap<String, Long> pending;
  private final Counter retried;
  private final Counter abandoned;

  /** Made on a verticle's context (retries run on it). */
  Revocations(RedisStore redis) {
    Context context = Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("revocations belong to a verticle's event loop");
    }
    this.vertx = context.owner();
    this.redis = redis;
    this.pending = pending(vertx);
    MeterRegistry registry = Metrics.registry(vertx);
    this.retried = failures(registry, "retried");
    this.abandoned = failures(registry, "abandoned");
  }

  private static Counter failures(MeterRegistry registry, String outcome) {
    return Counter.builder("portcullis.revocation.marker.failures")
        .description("Revocation marker writes that failed: retried, or abandoned after the last retry")
        .tag("outcome", outcome)
        .register(registry);
  }

  static LocalMap<String, Long> pending(Vertx vertx) {
    return vertx.sharedData().getLocalMap(PENDING_MAP);
  }

  /**
   * After the revocation committed: the sessions are pending until their markers are written. Completes (never
   * fails) once the first attempt for each marker answered, so when Redis is well every process sees the
   * revocation by the time it is acknowledged; a failed write is retried in the background.
   */
  Future<Void> publish(List<UUID> sessions) {
    if (sessions.isEmpty()) {
      return Future.succeededFuture();
    }
    long until = System.currentTimeMillis() + MARKER_TTL_SECONDS * 1000L;
    sessions.forEach(id -> pending.put(id.toString(), until));
    Future<Void> written = Future.succeededFuture();
    for (int from = 0; from < sessions.size(); from += WAVE) {
      List<UUID> wave = sessions.subList(from, Math.min(sessions.size(), from + WAVE));
      written = written.compose(previous -> Future.join(wave.stream().map(id -> {
        Promise<Void> firstAttempt = Promise.promise();
        attempt(id, 0, firstAttempt);
        return firstAttempt.future();
      }).toList()).mapEmpty());
    }
    return written;
  }

  private void attempt(UUID session, int retry, Promise<Void> firstAttempt) {
    redis.sendDecision(key(session), Request.cmd(Command.SET, key(session), "1", "EX",
            Long.toString(MARKER_TTL_SECONDS)))
        .onComplete(written -> {
          if (firstAttempt != null) {
            firstAttempt.complete();
          }
          if (written.succeeded()) {
            pending.remove(session.toString());
            if (retry > 0) {
              LOG.info("revocation marker of session {} written after {} retries", session, retry);
            }
          } else if (retry < RETRY_DELAYS_MS.length) {
            retried.increment();
            LOG.warn("revocation marker of session {} not written ({}), retry {} in {} ms", session,
                written.cause().getMessage(), retry + 1, RETRY_DELAYS_MS[retry]);
            vertx.setTimer(RETRY_DELAYS_MS[retry], timer -> attempt(session, retry + 1, null));
          } else {
            abandoned.increment();
            forgetWhenExpired(session);
            LOG.error("revocation marker of session {} not written after {} retries ({}): this process reads the "
                + "session from Postgres until its tokens expire", session, retry, written.cause().getMessage());
          }
        });
  }

  /** Drops the session from the pending map once no access token of it can be valid any more. */
  private void forgetWhenExpired(UUID session) {
    Long until = pending.get(session.toString());
    if (until != null) {
      vertx.setTimer(Math.max(1, until - System.currentTimeMillis()), timer -> pending.remove(session.toString(), until));
    }
  }

  /** True while the session's marker has not been written by this process (see the class comment). */
  static boolean isPending(LocalMap<String, Long> pending, UUID session) {
    if (pending.isEmpty()) {
      return false;
    }
    Long until = pending.get(session.toString());
    if (until == null) {
      return false;
    }
    if (until < System.currentTimeMillis()) {
      pending.remove(session.toString(), until);
      return false;
    }
    return true;
  }

  /** The marker's key; checks are batched by {@link RevocationChecks}. */
  String key(UUID session) {
    return redis.key("revoked", session.toString());
  }
}
