package dev.portcullis.license;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.HexFormat;
import java.util.List;

/**
 * Per-client-IP and per-key limits of the device calls, in Redis so they hold across gateway processes: a
 * fixed one-minute window each, counted by one script call per counter. Each counter is its own hash slot
 * ({@code {license:ip:...}}, {@code {license:key:...}}), since no script touches two of them. The key counter is
 * named by a prefix of the key's keyed hash, never by the key.
 */
final class CallLimits {

  static final long WINDOW_MS = 60_000;
  private static final RedisScript COUNT = RedisScript.load("license-rate.lua");

  private final RedisStore redis;
  private final LicenseSettings settings;

  CallLimits(RedisStore redis, LicenseSettings settings) {
    this.redis = redis;
    this.settings = settings;
  }

  /** Counts the call; fails with {@code 429 rate_limited} when the IP or the key is over its limit. */
  Future<Void> count(String clientIp, byte[] keyHash) {
    String ipCounter = redis.key("{license:ip:" + (clientIp == null ? "unknown" : clientIp) + "}");
    String keyCounter = redis.key("{license:key:" + HexFormat.of().formatHex(keyHash, 0, 16) + "}");
    Future<Response> ip = COUNT.run(redis, List.of(ipCounter), List.of(Long.toString(WINDOW_MS)));
    Future<Response> key = COUNT.run(redis, List.of(keyCounter), List.of(Long.toString(WINDOW_MS)));
    return Future.all(ip, key).compose(both -> {
      if (ip.result().get(0).toLong() > settings.callsPerMinutePerIp()) {
        return refuse("client_ip: too many license calls from this address", ip.result());
      }
      if (key.result().get(0).toLong() > settings.callsPerMinutePerKey()) {
        return refuse("key: too many calls with this license key", key.result());
      }
      return Future.succeededFuture();
    });
  }

  private static Future<Void> refuse(String message, Response counted) {
    long seconds = Math.max(1, (counted.get(1).toLong() + 999) / 1000);
    return Future.failedFuture(ApiException.rateLimited(ErrorCode.RATE_LIMITED, message + "; retry in " + seconds + " s",
        seconds));
  }
}
