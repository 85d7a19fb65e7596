package dev.portcullis.hosted;

import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import dev.portcullis.otp.ClientNetwork;
import io.vertx.core.Future;
import java.util.List;

/**
 * How many flows one client network (an IPv4 address, an IPv6 /64) may start per minute. Every start stores a
 * flow in Redis and an audit event, so an unauthenticated page must not let one network start them without end.
 */
final class FlowStarts {

  static final int PER_MINUTE = 60;
  private static final long WINDOW_MS = 60_000;
  private static final RedisScript COUNT = RedisScript.load("hosted-start.lua");

  private final RedisStore redis;

  FlowStarts(RedisStore redis) {
    this.redis = redis;
  }

  /** Seconds to wait before this network may start another flow; 0 when it may now. */
  Future<Long> waitFor(String clientIp) {
    String network = ClientNetwork.of(clientIp);
    if (network == null) {
      return Future.succeededFuture(0L);
    }
    String key = redis.key("hosted-starts", "{" + Tokens.sha256Hex(network) + "}");
    return COUNT.run(redis, List.of(key), List.of(Integer.toString(PER_MINUTE), Long.toString(WINDOW_MS)))
        .map(reply -> reply.get(0).toInteger() == 1 ? 0L : Math.max(1, (reply.get(1).toLong() + 999) / 1000));
  }
}
