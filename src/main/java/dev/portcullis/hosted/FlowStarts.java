package dev.portcullis.hosted;

import dev.portcullis.core.FixedWindow;
import dev.portcullis.core.RedisStore;
import dev.portcullis.otp.ClientNetwork;
import io.vertx.core.Future;
import java.util.UUID;

/**
 * How many flows one client network (an IPv4 address, an IPv6 /64) may start per minute: at one app, and at all apps
 * together. Every start stores a flow in Redis and an audit event, so an unauthenticated page must not let one network
 * start them without end; counted per app, so that starts at one app (a page that makes its visitors' browsers start
 * flows, say) do not keep that network from the others.
 */
final class FlowStarts {

  static final int PER_APP_PER_MINUTE = 60;
  static final int PER_MINUTE = 10 * PER_APP_PER_MINUTE;

  private final RedisStore redis;
  private final FixedWindow atApp;
  private final FixedWindow atAll;

  FlowStarts(RedisStore redis) {
    this.redis = redis;
    this.atApp = new FixedWindow(redis, PER_APP_PER_MINUTE, 60_000);
    this.atAll = new FixedWindow(redis, PER_MINUTE, 60_000);
  }

  /** Seconds to wait before this network may start another flow at the app; 0 when it may now. */
  Future<Long> waitFor(UUID appId, String clientIp) {
    String network = ClientNetwork.of(clientIp);
    if (network == null) {
      return Future.succeededFuture(0L);
    }
    String key = redis.key("hosted-starts", "{" + Tokens.sha256Hex(network) + "}");
    return atApp.count(key + ":" + appId).compose(wait -> wait > 0 ? Future.succeededFuture(wait) : atAll.count(key));
  }
}
