package dev.portcullis.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;

/** A Cluster client that asks the nodes answering first for the slot map, and closes their probes with it. */
final class SeededClusterClient implements Redis {

  private final Redis client;
  private final ClusterSeeds seeds;

  SeededClusterClient(Redis client, ClusterSeeds seeds) {
    this.client = client;
    this.seeds = seeds;
  }

  @Override
  public Future<RedisConnection> connect() {
    return client.connect();
  }

  @Override
  public Future<Response> send(Request command) {
    return client.send(command);
  }

  @Override
  public Future<List<Response>> batch(List<Request> commands) {
    return client.batch(commands);
  }

  @Override
  public Future<Void> close() {
    return client.close().eventually(seeds::close);
  }
}
