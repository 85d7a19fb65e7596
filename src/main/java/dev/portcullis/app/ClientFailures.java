package dev.portcullis.app;

import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import dev.portcullis.core.messages.AppMessages;
import dev.portcullis.http.SourceNetwork;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failed client authentications and other anonymous failures (an OIDC authorization request refused by a
 * redirect), counted instead of audited one by one (an anonymous caller must not make the audit trail grow
 * without bound), and the per-IP limit on them.
 *
 * <p><b>Summaries.</b> Each failure is counted in Redis under its window (one minute,
 * {@code PORTCULLIS_CLIENT_FAILURE_WINDOW_MS}), the app it claimed (the system chain when that app does not
 * exist) and the caller's source network (IPv4 /24, IPv6 /64). Once a window has closed (plus a grace of two
 * seconds for clocks), one process claims it ({@code SET NX} with a lease) and writes one
 * event per kind, app and network ({@code client.auth_failed}, {@code oidc.authorize_refused}), with
 * {@code count}, {@code network},
 * {@code window_start} and {@code window_ms}; each count is taken off Redis only after its event is stored. So a
 * fault loses no summary: a process that dies mid-flush leaves the rest to the next claim, and at worst one
 * summary is written twice. Redis keeps an unflushed window for a day. A failure that cannot be counted (Redis
 * down) is still answered {@code 401} and counted in {@code portcullis_client_auth_failures_uncounted_total}.
 *
 * <p><b>Per-IP limit.</b> Beyond {@code PORTCULLIS_CLIENT_FAILURES_PER_MINUTE_PER_IP} (600) failures in one
 * window from one client IP (an IPv6 /64), every client-authenticated request from it is answered
 * {@code 429 rate_limited} with {@code Retry-After} until the window ends, before any database or HMAC work.
 * Only failures count: a backend's successful requests never do. Each verticle remembers the blocked callers
 * it has seen go over, so a blocked flood costs neither Redis nor Postgres. Anonymous failures are also counted
 * per IPv6 /48 (a site: 65,536 /64s, one customer's allocation), which may make {@value #SITE_FACTOR} times an
 * address's: one stranger's /48 could otherwise cost 39 million look-ups a minute, 600 from each /64.
 */
public final class ClientFailures {

  private static final Logger LOG = LoggerFactory.getLogger(ClientFailures.class);
  private static final RedisScript COUNT = RedisScript.load("client-failure.lua");
  private static final RedisScript FLUSHED = RedisScript.load("client-failure-flushed.lua");
  private static final long KEEP_MS = 86_400_000L;
  private static final long CLAIM_MS = 30_000;
  private static final int MAX_BLOCKED = 10_000;
  /** Summaries of one window: beyond them, new networks are counted under {@link #OTHER_NETWORKS}. */
  static final int MAX_SUMMARIES_PER_WINDOW = 5_000;
  static final String OTHER_NETWORKS = "other";
  /** Summaries recorded at once: a window's flush never fills the audit queue that requests wait on. */
  private static final int FLUSH_BATCH = 200;
  private static final String TAG = "{client-failures}";
  static final int SITE_FACTOR = 5;

  private final Vertx vertx;
  private final RedisStore redis;
  private final AuditLog audit;
  private final long windowMs;
  private final long graceMs;
  private final int limitPerIp;
  private final String owner = UUID.randomUUID().toString();
  private final Counter uncounted;
  private final Counter limited;
  private final Counter summaries;
  private final Map<String, Long> blockedUntil = new LinkedHashMap<>(64, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > MAX_BLOCKED;
    }
  };
  private long timer = -1;
  private MessageConsumer<AppMessages.CallerBlocked> blocked;
  private boolean flushing;

  public ClientFailures(Vertx vertx, RedisStore redis, AuditLog audit, GatewayConfig config, MeterRegistry metrics) {
    this.vertx = vertx;
    this.redis = redis;
    this.audit = audit;
    this.windowMs = config.clientFailureWindowMs();
    this.graceMs = Math.min(2_000, windowMs / 2);
    this.limitPerIp = config.clientFailuresPerMinutePerIp();
    this.uncounted = Counter.builder("portcullis.client.auth.failures.uncounted")
        .description("Failed client authentications Redis could not count into a summary")
        .register(metrics);
    this.limited = Counter.builder("portcullis.client.auth.rate.limited")
        .description("Client-authenticated requests refused with 429 after too many failures from their IP")
        .register(metrics);
    this.summaries = Counter.builder("portcullis.client.auth.failure.summaries")
        .description("client.auth_failed summary events written (one per app, source network and window)")
        .register(metrics);
  }

  /**
   * Starts the periodic flush of closed windows on this verticle's context, and hears the callers the other
   * verticles of the process block, so that none of them answers such a caller before learning it on its own.
   */
  public ClientFailures start() {
    long period = Math.max(100, Math.min(5_000, windowMs / 4));
    timer = vertx.setPeriodic(period, id -> flush());
    blocked = Bus.listen(vertx, Bus.CLIENT_BLOCKED, caller -> blockedUntil.merge(caller.limitKey(),
        caller.untilMillis(), Math::max));
    return this;
  }

  public void stop() {
    vertx.cancelTimer(timer);
    if (blocked != null) {
      blocked.unregister();
    }
  }

  /** The 429 to answer at once when {@code callerIp} is over its failure limit, else null. */
  public ApiException refusal(String callerIp) {
    return refusal(SourceNetwork.limitKey(callerIp), "too many failed client authentications from this address");
  }

  /**
   * The 429 to answer at once when {@code callerIp}, or its IPv6 /48, made too many anonymous failures
   * ({@link #countAnonymous}: app ids that do not exist, refused OpenID Connect authorization requests, tokens naming
   * keys that do not exist), else null: a limit of its own, so that a web page making its visitors' browsers send
   * such requests cannot get their address's backend refused its correct credentials, nor a page's failed client
   * authentications keep the visitors from a sign-in page.
   */
  public ApiException anonymousRefusal(String callerIp) {
    ApiException refusal = refusal(anonymousKey(callerIp), "too many requests for apps or keys that do not exist or "
        + "refused sign-in requests from this address");
    String siteKey = anonymousSiteKey(callerIp);
    return refusal != null || siteKey == null ? refusal : refusal(siteKey, "too many requests for apps or keys that "
        + "do not exist or refused sign-in requests from this network");
  }

  private static String anonymousKey(String callerIp) {
    return "anonymous|" + SourceNetwork.limitKey(callerIp);
  }

  /** The key of the caller's /48 (IPv6 only), or null. */
  private static String anonymousSiteKey(String callerIp) {
    String site = SourceNetwork.site(callerIp);
    return site == null ? null : "anonymous-site|" + site;
  }

  private ApiException refusal(String key, String message) {
    Long until = blockedUntil.get(key);
    if (until == null) {
      return null;
    }
    long now = System.currentTimeMillis();
    if (until <= now) {
      blockedUntil.remove(key);
      return null;
    }
    limited.increment();
    return ApiException.rateLimited(ErrorCode.RATE_LIMITED, message, (until - now + 999) / 1000);
  }

  /** Counts one failed client authentication of {@code callerIp} against {@code appId}; never fails. */
  public Future<Void> count(UUID appId, String callerIp) {
    return count(AuditEvent.CLIENT_AUTH_FAILED, appId, callerIp);
  }

  /**
   * Counts one anonymous failure of kind {@code type} (the audit event its summary is written as) of
   * {@code callerIp} against {@code appId} (the system app when unknown), toward the caller's per-IP limit of
   * anonymous failures ({@link #anonymousRefusal}); never fails.
   */
  public Future<Void> countAnonymous(String type, UUID appId, String callerIp) {
    return count(type, appId, callerIp, anonymousKey(callerIp), anonymousSiteKey(callerIp));
  }

  private Future<Void> count(String type, UUID appId, String callerIp) {
    return count(type, appId, callerIp, SourceNetwork.limitKey(callerIp), null);
  }

  private Future<Void> count(String type, UUID appId, String callerIp, String ipKey, String siteKey) {
    long now = System.currentTimeMillis();
    long window = now - Math.floorMod(now, windowMs);
    List<String> keys = new ArrayList<>(List.of(redis.key(TAG, "window", Long.toString(window)),
        redis.key(TAG, "windows"), redis.key(TAG, "ip", Long.toString(window), ipKey)));
    if (siteKey != null) {
      keys.add(redis.key(TAG, "ip", Long.toString(window), siteKey));
    }
    List<String> args = List.of(type + "|" + appId + "|" + SourceNetwork.of(callerIp), Long.toString(window),
        Long.toString(KEEP_MS), Long.toString(windowMs + graceMs), Integer.toString(MAX_SUMMARIES_PER_WINDOW),
        type + "|" + appId + "|" + OTHER_NETWORKS);
    return COUNT.run(redis, keys, args)
        .map(reply -> {
          blockBeyond(ipKey, reply.get(0).toLong(), limitPerIp, window);
          if (siteKey != null) {
            blockBeyond(siteKey, reply.get(1).toLong(), (long) limitPerIp * SITE_FACTOR, window);
          }
          return (Void) null;
        })
        .recover(failure -> {
          uncounted.increment();
          LOG.debug("failed client authentication not counted: {}", failure.getMessage());
          return Future.succeededFuture();
        });
  }

  /** Tells every verticle that {@code key} is blocked until {@code window} ends, once it went over {@code limit}. */
  private void blockBeyond(String key, long failures, long limit, long window) {
    Long known = blockedUntil.get(key);
    if (failures > limit && (known == null || known < window + windowMs)) {
      // This verticle hears its own publication too.
      Bus.publish(vertx, Bus.CLIENT_BLOCKED, new AppMessages.CallerBlocked(key, window + windowMs));
    }
  }

  /** Writes the summaries of every closed window this process can claim. */
  void flush() {
    if (flushing) {
      return;
    }
    flushing = true;
    long closedBefore = System.currentTimeMillis() - windowMs - graceMs;
    redis.send(Command.ZRANGEBYSCORE, redis.key(TAG, "windows"), "-inf", Long.toString(closedBefore), "LIMIT", "0", "10")
        .compose(windows -> {
          Future<Void> chain = Future.succeededFuture();
          for (Response window : windows) {
            String start = window.toString();
            chain = chain.compose(ignored -> flushWindow(start));
          }
          return chain;
        })
        .onFailure(failure -> LOG.warn("failure summaries not flushed yet: {}", failure.getMessage()))
        .onComplete(done -> flushing = false);
  }

  private Future<Void> flushWindow(String start) {
    String claim = redis.key(TAG, "claim", start);
    String hash = redis.key(TAG, "window", start);
    return redis.send(Command.SET, claim, owner, "NX", "PX", Long.toString(CLAIM_MS))
        .compose(claimed -> claimed == null ? Future.<Void>succeededFuture() : summarise(start, hash, claim)
            .eventually(() -> redis.send(Command.DEL, claim)));
  }

  private Future<Void> summarise(String start, String hash, String claim) {
    return redis.send(Command.HGETALL, hash)
        .compose(counts -> writeAll(start, hash, claim, counts))
        .compose(ignored -> redis.send(Command.HLEN, hash))
        .compose(left -> left == null || left.toLong() == 0
            ? redis.send(Command.ZREM, redis.key(TAG, "windows"), start).<Void>mapEmpty()
            : Future.<Void>succeededFuture());
  }

  /** The window's summaries, {@link #FLUSH_BATCH} at a time, the claim renewed before each batch. */
  private Future<Void> writeAll(String start, String hash, String claim, Response counts) {
    List<String> fields = new ArrayList<>(counts.getKeys());
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < fields.size(); from += FLUSH_BATCH) {
      List<String> batch = fields.subList(from, Math.min(fields.size(), from + FLUSH_BATCH));
      chain = chain
          .compose(ignored -> redis.send(Command.PEXPIRE, claim, Long.toString(CLAIM_MS)))
          .compose(ignored -> write(start, hash, counts, batch));
    }
    return chain;
  }

  private Future<Void> write(String start, String hash, Response counts, List<String> fields) {
    List<Future<?>> written = new ArrayList<>();
    for (String field : fields) {
      String[] parts = field.split("\\|", 3); // "<event type>|<app id>|<network>", as count() writes it
      UUID appId = AppDirectory.parseUuid(parts[1]);
      long count = counts.get(field).toLong();
      AuditEvent event = AuditEvent.of(parts[0], appId == null ? AuditEvent.SYSTEM_APP : appId, null, null);
      if (AuditEvent.CLIENT_AUTH_FAILED.equals(parts[0])) {
        event = event.with("reason", "invalid_client");
      }
      event = event
          .with("count", count)
          .with("network", parts[2])
          .with("window_start", Instant.ofEpochMilli(Long.parseLong(start)).toString())
          .with("window_ms", windowMs);
      written.add(audit.record(event)
          .compose(stored -> {
            summaries.increment();
            return FLUSHED.run(redis, List.of(hash), List.of(field, Long.toString(count)));
          }));
    }
    return Future.all(written).mapEmpty();
  }
}
