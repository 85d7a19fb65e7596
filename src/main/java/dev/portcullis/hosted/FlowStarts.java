package dev.portcullis.hosted;

import dev.portcullis.core.FixedWindow;
import dev.portcullis.core.RedisStore;
import dev.portcullis.otp.ClientNetwork;
import io.vertx.core.Future;

/**
 * How many flows one client network (an IPv4 address, an IPv6 /64) may start per minute. Every start stores a
 * flow in Redis and an audit event, so an unauthenticated page must not let one network start them without end.
 */
final class FlowStarts {

  static final int PER_MINUTE = 60;

  private final RedisStore redis;
  private final FixedWindow window;

  FlowStarts(RedisStore redis) {
    this.redis = redis;
    this.window = new FixedWindow(redis, PER_MINUTE, 60_000);
  }

  /** Seconds to wait before this network may start another flow; 0 when it may now. */
  Future<Long> waitFor(String clientIp) {
    String network = ClientNetwork.of(clientIp);
    if (network == null) {
      return Future.succeededFuture(0L);
    }
    return window.count(redis.key("hosted-starts", "{" + Tokens.sha256Hex(network) + "}"));
  }
}
