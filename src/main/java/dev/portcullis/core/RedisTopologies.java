package dev.portcullis.core;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import io.vertx.redis.client.RedisRole;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Redis client options of the configured topology ({@link GatewayConfig#REDIS_MODE}).
 *
 * <p>Every read goes to a master: Sentinel connections ask the sentinels for the current master and follow a
 * fail-over, and Cluster reads never go to a replica, because a replica may not have a consumed code or a
 * revocation yet, and single-use decisions must see the last write.
 *
 * <p>A node that hangs (it holds its connections and answers nothing) must not hold the gateway for good: a
 * connection left without an answer for longer than any request waits is closed, which fails what still waits on
 * it ({@link #closeSilent}), and a Cluster client asks the nodes that answer for its slot map ({@link ClusterSeeds}).
 */
public final class RedisTopologies {

  private static final int UNUSED_CLOSE_MS = 5_000;
  private static final int POOL_CHECK_MS = 1_000;

  private RedisTopologies() {
  }

  /** The client of the configured topology. */
  public static Redis client(Vertx vertx, GatewayConfig config) {
    RedisOptions options = options(config);
    if (config.redisMode() != GatewayConfig.RedisMode.CLUSTER) {
      return Redis.createClient(vertx, options);
    }
    ClusterSeeds seeds = new ClusterSeeds(vertx, config, options);
    return new SeededClusterClient(Redis.createClusterClient(vertx, options, seeds), seeds);
  }

  private static RedisOptions options(GatewayConfig config) {
    RedisOptions options = new RedisOptions()
        .setMaxPoolSize(8)
        .setMaxPoolWaiting(4096)
        .setMaxWaitingHandlers(65536);
    config.redisNodes().forEach(options::addConnectionString);
    tcp(options, config);
    closeSilent(options, config);
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
   * the other topologies subscribe as they connect. A subscribed connection reads nothing while nothing is
   * published, so it is not closed for silence: {@link RedisSubscription} pings it instead.
   */
  public static List<RedisOptions> subscriberOptions(GatewayConfig config) {
    if (config.redisMode() != GatewayConfig.RedisMode.CLUSTER) {
      RedisOptions options = options(config);
      options.getNetClientOptions().setReadIdleTimeout(0);
      return List.of(options);
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
    closeSilent(options, config);
    return options;
  }

  /** The connect timeout, and for rediss:// nodes a check of the server's name against its certificate. */
  private static void tcp(RedisOptions options, GatewayConfig config) {
    options.getNetClientOptions()
        .setConnectTimeout((int) config.backendTimeoutMs())
        .setHostnameVerificationAlgorithm("HTTPS");
  }

  /**
   * Closes a connection that has waited on an answer for longer than any request waits: a hung node's. Reading
   * nothing is no proof by itself, since an idle pooled connection reads nothing either, and closing one just as a
   * request takes it would fail that request. So the pool closes connections unused for
   * {@link #UNUSED_CLOSE_MS} (checked every {@link #POOL_CHECK_MS}; taking a connection and this check exclude each
   * other), and a connection that reads nothing for longer than that, the check's period and the backend timeout
   * together has had a request waiting on it for longer than the gateway waits.
   */
  private static void closeSilent(RedisOptions options, GatewayConfig config) {
    options.setPoolRecycleTimeout(UNUSED_CLOSE_MS).setPoolCleanerInterval(POOL_CHECK_MS);
    options.getNetClientOptions()
        .setReadIdleTimeout((int) (UNUSED_CLOSE_MS + POOL_CHECK_MS + config.backendTimeoutMs() + POOL_CHECK_MS))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  /** Whether one pipeline may hold keys of different hash slots (not on a Cluster, whose nodes own slots). */
  public static boolean pipelinesAcrossSlots(GatewayConfig config) {
    return config.redisMode() != GatewayConfig.RedisMode.CLUSTER;
  }
}
