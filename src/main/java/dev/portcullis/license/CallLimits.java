package dev.portcullis.license;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Per-client-IP, per-IPv6-/48 and per-key limits of the device calls, in Redis so they hold across gateway
 * processes: a fixed one-minute window each. Each counter is its own hash slot ({@code {license:ip:...}},
 * {@code {license:site:...}}, {@code {license:key:...}}), since no script touches two of them. The key counter is
 * named by a prefix of the key's keyed hash, never by the key.
 *
 * <p>A counter's calls are taken from Redis in leases ({@link CounterLease}): the first call of a window on a
 * counter reserves one count, each further lease of the same window twice the last, up to a thirty-second of
 * the limit. The calls a lease covers are counted here, without Redis; so a busy key or address costs Redis
 * one script call per lease, not per call. Calls through one event loop are counted exactly; across event
 * loops and processes the counts one loop reserved and did not use yet are refused to the others, so the limit
 * can only bite early, by less than a thirty-second of it per event loop, never late. A limit under 64 is
 * leased one count at a time, so it is exact everywhere.
 *
 * <p>A call whose two counters both hold a spare count, and whose app's license generation this loop knows
 * ({@link KnownGenerations}), is answered at once. The others wait for the end of the event-loop turn, when
 * they go to Redis together: one lease per counter short of counts, and one read per distinct app whose
 * generation is not known, pipelined. One instance belongs to one verticle's event loop.
 */
final class CallLimits {

  static final long WINDOW_MS = 60_000;
  /**
   * How many times an address's limit an IPv6 /48 may make: a stranger's /48 holds 65,536 /64s, each with the
   * address's limit, and each call with a random key costs a look-up and a Redis counter.
   */
  static final int SITE_FACTOR = 5;
  private static final String IP_REFUSAL = "client_ip: too many license calls from this address";
  private static final String SITE_REFUSAL = "client_ip: too many license calls from this network";
  private static final RedisScript COUNT = RedisScript.load("license-rate.lua");

  /** A counted call: the app's license generation, as this loop knows it or Redis answered it in the same turn. */
  record Counted(String generation) {
  }

  /** {@code siteCounter}: null for an IPv4 caller. */
  private record Call(String ipCounter, String siteCounter, String keyCounter, UUID appId, Promise<Counted> answer) {
  }

  private final RedisStore redis;
  private final LicenseSettings settings;
  private final KnownGenerations known;
  private final CounterLeases leases = new CounterLeases();
  private Context context;
  private List<Call> waiting = new ArrayList<>();

  CallLimits(RedisStore redis, LicenseSettings settings, KnownGenerations known) {
    this.redis = redis;
    this.settings = settings;
    this.known = known;
  }

  /**
   * Counts the call; fails with {@code 429 rate_limited} when the caller's address, its IPv6 /48 or the key is over
   * its limit, else answers the app's license generation. {@code caller}: what the per-IP limit counts (an address,
   * an IPv6 /64, prefixed by the app when a backend reported it); {@code site}: the /48 of an IPv6 caller, prefixed
   * the same way, null for IPv4.
   */
  Future<Counted> count(String caller, String site, byte[] keyHash, UUID appId) {
    String ipCounter = redis.key("{license:ip:" + (caller == null ? "unknown" : caller) + "}");
    String siteCounter = site == null ? null : redis.key("{license:site:" + site + "}");
    String keyCounter = redis.key("{license:key:" + HexFormat.of().formatHex(keyHash, 0, 16) + "}");
    long now = System.currentTimeMillis();
    String generation = known.of(appId, now);
    CounterLease ip = leases.held(ipCounter);
    if (ip != null && ip.refusesNow(now)) {
      // Over the address's limit for the rest of the window: refused here, its key counted nowhere. Leased with the
      // key's, a stranger's random keys made one Redis key each, 230,000 in 30 s, all refused.
      return Future.failedFuture(refusal(IP_REFUSAL, ip.remainingMs(now)));
    }
    CounterLease siteLease = siteCounter == null ? null : leases.held(siteCounter);
    if (siteLease != null && siteLease.refusesNow(now)) {
      return Future.failedFuture(refusal(SITE_REFUSAL, siteLease.remainingMs(now)));
    }
    CounterLease key = leases.held(keyCounter);
    boolean siteSpare = siteCounter == null || siteLease != null && siteLease.spareNow(now);
    if (generation != null && ip != null && key != null && siteSpare && ip.spareNow(now) && key.spareNow(now)) {
      ip.takeSpare();
      key.takeSpare();
      if (siteLease != null) {
        siteLease.takeSpare();
      }
      return Future.succeededFuture(new Counted(generation));
    }
    if (context == null) {
      context = Vertx.currentContext();
    }
    Promise<Counted> answer = Promise.promise();
    if (waiting.isEmpty()) {
      context.runOnContext(endOfTurn -> send());
    }
    waiting.add(new Call(ipCounter, siteCounter, keyCounter, appId, answer));
    return answer.future();
  }

  private void send() {
    List<Call> batch = waiting;
    waiting = new ArrayList<>();
    long now = System.currentTimeMillis();
    leases.tidy(now);
    Map<String, Integer> needed = new LinkedHashMap<>();
    Map<UUID, String> knownNow = new HashMap<>();
    Map<UUID, Integer> toRead = new LinkedHashMap<>();
    for (Call call : batch) {
      needed.merge(call.ipCounter(), 1, Integer::sum);
      if (call.siteCounter() != null) {
        needed.merge(call.siteCounter(), 1, Integer::sum);
      }
      needed.merge(call.keyCounter(), 1, Integer::sum);
      String generation = known.of(call.appId(), now);
      if (generation != null) {
        knownNow.put(call.appId(), generation);
      } else {
        toRead.putIfAbsent(call.appId(), toRead.size());
      }
    }
    long mark = known.mark();
    Map<String, Long> toLease = new LinkedHashMap<>();
    needed.forEach((counter, calls) -> {
      long size = lease(counter).toLease(calls, now);
      if (size > 0) {
        toLease.put(counter, size);
      }
    });
    List<String> leased = List.copyOf(toLease.keySet());
    RedisScript.pipeline(redis, withSource -> {
      List<Request> requests = new ArrayList<>(leased.size() + toRead.size());
      for (String counter : leased) {
        requests.add(COUNT.call(withSource, List.of(counter),
            List.of(Long.toString(WINDOW_MS), Long.toString(toLease.get(counter)))));
      }
      toRead.keySet().forEach(app -> requests.add(
          Request.cmd(Command.GET).arg(LicenseGenerations.key(redis, app))));
      return requests;
    }).onComplete(replies -> {
      if (replies.failed()) {
        leased.forEach(counter -> lease(counter).notGranted(toLease.get(counter)));
        for (Call call : batch) {
          leases.held(call.ipCounter()).release();
          if (call.siteCounter() != null) {
            leases.held(call.siteCounter()).release();
          }
          leases.held(call.keyCounter()).release();
          call.answer().fail(replies.cause());
        }
        return;
      }
      long answeredAt = System.currentTimeMillis();
      for (int i = 0; i < leased.size(); i++) {
        Response reply = replies.result().get(i);
        String counter = leased.get(i);
        lease(counter).granted(toLease.get(counter), reply.get(0).toLong(), reply.get(1).toLong(), answeredAt);
      }
      toRead.forEach((app, index) -> {
        Response read = replies.result().get(leased.size() + index);
        String generation = read == null ? KnownGenerations.NONE : read.toString();
        known.learned(app, generation, mark);
        knownNow.put(app, generation);
      });
      for (Call call : batch) {
        answer(call, knownNow.get(call.appId()), answeredAt);
      }
    });
  }

  private void answer(Call call, String generation, long now) {
    CounterLease ip = leases.held(call.ipCounter());
    CounterLease site = call.siteCounter() == null ? null : leases.held(call.siteCounter());
    CounterLease key = leases.held(call.keyCounter());
    boolean ipAdmits = ip.take();
    boolean siteAdmits = site == null || site.take();
    boolean keyAdmits = key.take();
    if (!ipAdmits) {
      call.answer().fail(refusal(IP_REFUSAL, ip.remainingMs(now)));
    } else if (!siteAdmits) {
      call.answer().fail(refusal(SITE_REFUSAL, site.remainingMs(now)));
    } else if (!keyAdmits) {
      call.answer().fail(refusal("key: too many calls with this license key", key.remainingMs(now)));
    } else {
      call.answer().complete(new Counted(generation));
    }
  }

  private CounterLease lease(String counter) {
    return leases.of(counter, () -> counter.contains("{license:ip:") ? settings.callsPerMinutePerIp()
        : counter.contains("{license:site:") ? (long) settings.callsPerMinutePerIp() * SITE_FACTOR
        : settings.callsPerMinutePerKey());
  }

  private static ApiException refusal(String message, long remainingMs) {
    long seconds = Math.max(1, (remainingMs + 999) / 1000);
    return ApiException.rateLimited(ErrorCode.RATE_LIMITED, message + "; retry in " + seconds + " s", seconds);
  }
}
