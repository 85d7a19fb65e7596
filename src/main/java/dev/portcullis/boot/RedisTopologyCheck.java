package dev.portcullis.boot;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.RedisTopologies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Before the start, asks the configured Redis nodes what they are, so that a configuration naming the wrong kind
 * stops with one message naming the key: a Sentinel or a cluster node in standalone mode (its scripts failed as
 * 500s), a replica (every write 503), a sentinel mode whose master name no sentinel knows, a cluster mode on a
 * server without cluster support. A node that does not answer is not judged: an outage does not stop the start.
 */
final class RedisTopologyCheck {

  /** The error replies of a server that answered: ERR (e.g. "DB index is out of range"), WRONGPASS, NOAUTH, NOPERM. */
  private static final Pattern REPLY_ERROR = Pattern.compile("(ERR|WRONGPASS|NOAUTH|NOPERM) ");

  private RedisTopologyCheck() {
  }

  static Future<Void> verify(Vertx vertx, GatewayConfig config) {
    List<String> nodes = config.redisNodes();
    Future<Void> checked = Future.succeededFuture();
    for (String node : nodes) {
      checked = checked.compose(v -> check(vertx, config, node));
    }
    return checked;
  }

  private static Future<Void> check(Vertx vertx, GatewayConfig config, String node) {
    Redis client = Redis.createClient(vertx, RedisTopologies.nodeOptions(config, node));
    long timeout = config.backendTimeoutMs();
    Future<String> info = client.send(Request.cmd(Command.INFO))
        .map(Response::toString)
        .timeout(timeout, TimeUnit.MILLISECONDS);
    Future<Void> judged = info.transform(answered -> answered.failed()
        ? refusedSetup(node, answered.cause())
        : judge(client, config, where(node), answered.result()).timeout(timeout, TimeUnit.MILLISECONDS));
    return judged.eventually(() -> client.close());
  }

  private static Future<Void> judge(Redis client, GatewayConfig config, String where, String info) {
    String mode = field(info, "redis_mode");
    boolean clustered = "1".equals(field(info, "cluster_enabled"));
    boolean replica = "slave".equals(field(info, "role"));
    return switch (config.redisMode()) {
      case STANDALONE -> "sentinel".equals(mode) ? refuse(where + " is a Redis Sentinel: set "
              + GatewayConfig.REDIS_MODE + "=sentinel, with " + GatewayConfig.REDIS_URL + " the sentinels")
          : clustered ? refuse(where + " is a Redis Cluster node: set " + GatewayConfig.REDIS_MODE + "=cluster")
          : replica ? refuse(where + " is a replica, which takes no writes: name the master in "
              + GatewayConfig.REDIS_URL + ", or use " + GatewayConfig.REDIS_MODE + "=sentinel")
          : Future.succeededFuture();
      case CLUSTER -> clustered ? Future.succeededFuture() : refuse(where + " is no Redis Cluster node (cluster_enabled "
          + "is not 1): set " + GatewayConfig.REDIS_MODE + " to standalone or sentinel");
      case SENTINEL -> !"sentinel".equals(mode)
          ? refuse(where + " is no Redis Sentinel (redis_mode " + mode + "): " + GatewayConfig.REDIS_URL
              + " lists the sentinels in sentinel mode")
          : client.send(Request.cmd(Command.SENTINEL).arg("GET-MASTER-ADDR-BY-NAME").arg(config.redisMasterName()))
              // a sentinel that will not say (an ACL, an error) is not judged; only a nil answer names no master
              .transform(asked -> asked.failed() || asked.result() != null && asked.result().size() > 0
                  ? Future.<Void>succeededFuture()
                  : refuse("the sentinel at " + where + " knows no master named '" + config.redisMasterName()
                      + "': check " + GatewayConfig.REDIS_MASTER_NAME));
    };
  }

  /**
   * A node that answered the connection's setup (AUTH, SELECT) with an error reply is misconfigured, not down: a
   * wrong password, a database number the server does not have. Started anyway, every request that reached it was
   * a 500. A node that did not answer at all is not judged.
   */
  private static Future<Void> refusedSetup(String node, Throwable failure) {
    String message = failure.getMessage();
    return message != null && REPLY_ERROR.matcher(message).lookingAt()
        ? refuse(where(node) + " refused the connection: " + message + "; check " + GatewayConfig.REDIS_URL)
        : Future.succeededFuture();
  }

  private static Future<Void> refuse(String message) {
    return Future.failedFuture(new IllegalArgumentException(message));
  }

  /** host:port of a node's URL, without its password. */
  private static String where(String node) {
    java.net.URI uri = java.net.URI.create(node);
    return uri.getHost() + ":" + (uri.getPort() < 0 ? 6379 : uri.getPort());
  }

  /** A field of an INFO reply ({@code name:value} lines), or "" when absent. */
  private static String field(String info, String name) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1).trim();
      }
    }
    return "";
  }
}
