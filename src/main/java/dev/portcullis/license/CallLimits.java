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
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Per-client-IP and per-key limits of the device calls, in Redis so they hold across gateway processes: a
 * fixed one-minute window each. Each counter is its own hash slot ({@code {license:ip:...}},
 * {@code {license:key:...}}), since no script touches two of them. The key counter is named by a prefix of the
 * key's keyed hash, never by the key.
 *
 * <p>The calls of one event-loop turn go to Redis together when the turn ends: one script call per distinct
 * counter (counting all of that turn's calls on it at once) and one read per distinct app of its license
 * generation ({@link LicenseGenerations}), pipelined. Each call still counts after it arrived, and the n calls
 * of a turn on one counter are told the counts {@code total - n + 1 ... total}, as n separate increments
 * would have been. One instance belongs to one verticle's event loop.
 */
final class CallLimits {

  static final long WINDOW_MS = 60_000;
  private static final RedisScript COUNT = RedisScript.load("license-rate.lua");

  /** What Redis said for one call: its counts, and the app's license generation read in the same turn. */
  record Counted(String generation) {
  }

  private record Call(String ipCounter, String keyCounter, String generationKey, Promise<Counted> answer) {
  }

  /** One counter's total this turn, and how many of this turn's calls it counts. */
  private static final class Tally {
    int calls;
    int answered;
    long total;
    long remainingMs;
  }

  private final RedisStore redis;
  private final LicenseSettings settings;
  private Context context;
  private List<Call> waiting = new ArrayList<>();

  CallLimits(RedisStore redis, LicenseSettings settings) {
    this.redis = redis;
    this.settings = settings;
  }

  /**
   * Counts the call; fails with {@code 429 rate_limited} when the IP or the key is over its limit, else answers
   * the app's license generation as Redis holds it now.
   */
  Future<Counted> count(String clientIp, byte[] keyHash, UUID appId) {
    if (context == null) {
      context = Vertx.currentContext();
    }
    Promise<Counted> answer = Promise.promise();
    if (waiting.isEmpty()) {
      context.runOnContext(endOfTurn -> send());
    }
    waiting.add(new Call(
        redis.key("{license:ip:" + (clientIp == null ? "unknown" : clientIp) + "}"),
        redis.key("{license:key:" + HexFormat.of().formatHex(keyHash, 0, 16) + "}"),
        LicenseGenerations.key(redis, appId),
        answer));
    return answer.future();
  }

  private void send() {
    List<Call> batch = waiting;
    waiting = new ArrayList<>();
    Map<String, Tally> counters = new LinkedHashMap<>();
    Map<String, Integer> generations = new LinkedHashMap<>();
    for (Call call : batch) {
      counters.computeIfAbsent(call.ipCounter(), key -> new Tally()).calls++;
      counters.computeIfAbsent(call.keyCounter(), key -> new Tally()).calls++;
      generations.putIfAbsent(call.generationKey(), generations.size());
    }
    List<String> counterKeys = List.copyOf(counters.keySet());
    RedisScript.pipeline(redis, withSource -> {
      List<Request> requests = new ArrayList<>(counterKeys.size() + generations.size());
      for (String key : counterKeys) {
        requests.add(COUNT.call(withSource, List.of(key),
            List.of(Long.toString(WINDOW_MS), Integer.toString(counters.get(key).calls))));
      }
      generations.keySet().forEach(key -> requests.add(Request.cmd(Command.GET).arg(key)));
      return requests;
    }).onComplete(replies -> {
      if (replies.failed()) {
        batch.forEach(call -> call.answer().fail(replies.cause()));
        return;
      }
      for (int i = 0; i < counterKeys.size(); i++) {
        Tally tally = counters.get(counterKeys.get(i));
        tally.total = replies.result().get(i).get(0).toLong();
        tally.remainingMs = replies.result().get(i).get(1).toLong();
      }
      for (Call call : batch) {
        Response generation = replies.result().get(counterKeys.size() + generations.get(call.generationKey()));
        answer(call, counters.get(call.ipCounter()), counters.get(call.keyCounter()),
            generation == null ? null : generation.toString());
      }
    });
  }

  private void answer(Call call, Tally ip, Tally key, String generation) {
    long ipCount = ip.total - ip.calls + ++ip.answered;
    long keyCount = key == ip ? ipCount : key.total - key.calls + ++key.answered;
    if (ipCount > settings.callsPerMinutePerIp()) {
      call.answer().fail(refusal("client_ip: too many license calls from this address", ip.remainingMs));
    } else if (keyCount > settings.callsPerMinutePerKey()) {
      call.answer().fail(refusal("key: too many calls with this license key", key.remainingMs));
    } else {
      call.answer().complete(new Counted(generation));
    }
  }

  private static ApiException refusal(String message, long remainingMs) {
    long seconds = Math.max(1, (remainingMs + 999) / 1000);
    return ApiException.rateLimited(ErrorCode.RATE_LIMITED, message + "; retry in " + seconds + " s", seconds);
  }
}
