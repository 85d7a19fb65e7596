package dev.portcullis.hosted;

import dev.portcullis.core.FixedWindow;
import dev.portcullis.core.RedisStore;
import dev.portcullis.http.SourceNetwork;
import dev.portcullis.otp.ClientNetwork;
import io.vertx.core.Future;
import java.util.UUID;

/**
 * How many flows one client network (an IPv4 address, an IPv6 /64) may start per minute: at one app, and at all apps
 * together. Every start stores a flow in Redis and an audit event, so an unauthenticated page must not let one network
 * start them without end; counted per app, so that starts at one app (a page that makes its visitors' browsers start
 * flows, say) do not keep that network from the others. An IPv6 /48 (a site, 65,536 /64s) may start
 * {@value #PER_SITE_PER_MINUTE} a minute at all apps together: one stranger's /48 would otherwise write 39 million
 * flows and audit rows a minute, 600 from each /64.
 */
final class FlowStarts {

  static final int PER_APP_PER_MINUTE = 60;
  static final int PER_MINUTE = 10 * PER_APP_PER_MINUTE;
  static final int PER_SITE_PER_MINUTE = 5 * PER_MINUTE;

  private final RedisStore redis;
  private final FixedWindow atApp;
  private final FixedWindow atAll;
  private final FixedWindow atSite;

  FlowStarts(RedisStore redis) {
    this.redis = redis;
    this.atApp = new FixedWindow(redis, PER_APP_PER_MINUTE, 60_000);
    this.atAll = new FixedWindow(redis, PER_MINUTE, 60_000);
    this.atSite = new FixedWindow(redis, PER_SITE_PER_MINUTE, 60_000);
  }

  /** Seconds to wait before this network may start another flow at the app; 0 when it may now. */
  Future<Long> waitFor(UUID appId, String clientIp) {
    String network = ClientNetwork.of(clientIp);
    if (network == null) {
      return Future.succeededFuture(0L);
    }
    String key = redis.key("hosted-starts", "{" + Tokens.sha256Hex(network) + "}");
    String site = SourceNetwork.site(clientIp);
    return atApp.count(key + ":" + appId)
        .compose(wait -> wait > 0 ? Future.succeededFuture(wait) : atAll.count(key))
        .compose(wait -> wait > 0 || site == null ? Future.succeededFuture(wait)
            : atSite.count(redis.key("hosted-starts-site", "{" + Tokens.sha256Hex(site) + "}")));
  }
}
