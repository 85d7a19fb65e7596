package dev.portcullis.core;

import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import io.vertx.redis.client.RedisRole;
import java.util.List;

/**
 * The Redis client options of the configured topology ({@link GatewayConfig#REDIS_MODE}).
 *
 * <p>Every read goes to a master: Sentinel connections ask the sentinels for the current master and follow a
 * fail-over, and Cluster reads never go to a replica, because a replica may not have a consumed code or a
 * revocation yet, and single-use decisions must see the last write.
 */
public final class RedisTopologies {

  private RedisTopologies() {
  }

  public static RedisOptions options(GatewayConfig config) {
    RedisOptions options = new RedisOptions()
        .setMaxPoolSize(8)
        .setMaxPoolWaiting(4096)
        .setMaxWaitingHandlers(65536);
    config.redisNodes().forEach(options::addConnectionString);
    tcp(options, config);
    return switch (config.redisMode()) {
      case STANDALONE -> options.setType(RedisClientType.STANDALONE);
      case SENTINEL -> options.setType(RedisClientType.SENTINEL)
          .setRole(RedisRole.MASTER)
          .setMasterName(config.redisMasterName())
          .setAutoFailover(true);
      case CLUSTER -> options.setType(RedisClientType.CLUSTER)
          .setUseReplicas(RedisReplicas.NEVER);
    };
  }

  /**
   * Options for a pub/sub subscriber. A Cluster broadcasts every PUBLISH to all its nodes, so a subscriber
   * listens on one node as a plain connection (a cluster client routes commands by key, and SUBSCRIBE has none);
   * the other topologies subscribe as they connect.
   */
  public static List<RedisOptions> subscriberOptions(GatewayConfig config) {
    if (config.redisMode() != GatewayConfig.RedisMode.CLUSTER) {
      return List.of(options(config));
    }
    // Any node delivers a cluster's (unsharded) messages: one per configured node, tried in turn while one is down.
    return config.redisNodes().stream().map(node -> {
      RedisOptions options = new RedisOptions().setType(RedisClientType.STANDALONE).setConnectionString(node);
      tcp(options, config);
      return options;
    }).toList();
  }

  /** Options for a plain connection to one node of the configuration (a sentinel, a cluster node, the server). */
  public static RedisOptions nodeOptions(GatewayConfig config, String node) {
    RedisOptions options = new RedisOptions().setType(RedisClientType.STANDALONE).setConnectionString(node)
        .setMaxPoolSize(1);
    tcp(options, config);
    return options;
  }

  /** The connect timeout, and for rediss:// nodes a check of the server's name against its certificate. */
  private static void tcp(RedisOptions options, GatewayConfig config) {
    options.getNetClientOptions()
        .setConnectTimeout((int) config.backendTimeoutMs())
        .setHostnameVerificationAlgorithm("HTTPS");
  }

  /** Whether one pipeline may hold keys of different hash slots (not on a Cluster, whose nodes own slots). */
  public static boolean pipelinesAcrossSlots(GatewayConfig config) {
    return config.redisMode() != GatewayConfig.RedisMode.CLUSTER;
  }
}
