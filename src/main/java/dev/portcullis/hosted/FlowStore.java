package dev.portcullis.hosted;

import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;

/**
 * Flows in Redis. A flow's key is a digest of the browser's cookie and the flow id together, so a flow id
 * copied into another browser (or another app's page) finds nothing. Each save renews the flow's life.
 */
public final class FlowStore {

  /** How long an untouched flow lives: as long as a conversation. */
  public static final int TTL_SECONDS = 1800;

  private final RedisStore redis;

  public FlowStore(RedisStore redis) {
    this.redis = redis;
  }

  public Future<Void> save(String browser, Flow flow) {
    return redis.send(Command.SET, key(browser, flow.id()), flow.toJson().encode(), "EX", Integer.toString(TTL_SECONDS))
        .mapEmpty();
  }

  /** The flow, or null when this browser has no such flow (unknown, expired, finished, or another browser's). */
  public Future<Flow> find(String browser, String flowId) {
    if (browser == null || flowId == null || flowId.length() > 64) {
      return Future.succeededFuture(null);
    }
    return redis.send(Command.GET, key(browser, flowId))
        .map(reply -> reply == null ? null : Flow.fromJson(new JsonObject(reply.toString())));
  }

  /** Ends the flow: true when this call removed it (a double submit of the last step finds it gone). */
  public Future<Boolean> finish(String browser, Flow flow) {
    return redis.send(Command.DEL, key(browser, flow.id())).map(reply -> reply != null && reply.toInteger() == 1);
  }

  private String key(String browser, String flowId) {
    return redis.key("hosted-flow", "{" + Tokens.sha256Hex(browser + ":" + flowId) + "}");
  }
}
