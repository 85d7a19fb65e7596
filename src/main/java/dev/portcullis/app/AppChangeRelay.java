package dev.portcullis.app;

import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.RedisSubscription;
import dev.portcullis.core.RedisTopologies;
import dev.portcullis.core.messages.AppMessages;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries app changes between gateway processes: every local {@code APP_CHANGED} is PUBLISHed on a Redis
 * channel, and every change another process published is announced here as a local {@code APP_CHANGED}
 * (marked {@code remote}, so it is not sent back out). So a rotated key, a rotated secret, a new or deleted
 * app reach every process's caches (client auth, JWKS, verification keys and their negative entries) in
 * milliseconds instead of at their expiry. A lost subscription reconnects, and once it is up again every cache
 * drops all it holds, since a change announced meanwhile may never arrive (the JWKS would have published a
 * rotated-away key set for a minute).
 */
public final class AppChangeRelay extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(AppChangeRelay.class);

  private final String origin = UUID.randomUUID().toString();
  private Redis publisher;
  private RedisSubscription subscription;
  private String channel;
  private boolean lost;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    channel = config.redisPrefix() + "app-changed";
    publisher = RedisTopologies.client(vertx, config);
    Bus.listen(vertx, Bus.APP_CHANGED, this::sendOut);
    subscription = RedisSubscription.open(vertx, config, channel, new RedisSubscription.Listener() {
      @Override
      public void message(String payload) {
        receive(payload);
      }

      @Override
      public void up() {
        if (lost) {
          lost = false;
          Bus.publish(vertx, Bus.APP_CHANGES_MISSED, new AppMessages.ChangesMissed());
        }
      }

      @Override
      public void down() {
        lost = true;
      }
    });
    return Future.succeededFuture();
  }

  private void sendOut(AppMessages.Changed changed) {
    if (changed.remote()) {
      return;
    }
    JsonObject message = new JsonObject()
        .put("app_id", changed.appId().toString())
        .put("change", changed.change())
        .put("origin", origin);
    publisher.send(Request.cmd(Command.PUBLISH).arg(channel).arg(message.encode()))
        .onFailure(failure -> LOG.warn("app change of {} not relayed to other processes: {}", changed.appId(),
            failure.getMessage()));
  }

  private void receive(String payload) {
    JsonObject body;
    try {
      body = new JsonObject(payload);
    } catch (RuntimeException malformed) {
      return;
    }
    if (origin.equals(body.getString("origin"))) {
      return;
    }
    UUID appId = AppDirectory.parseUuid(body.getString("app_id"));
    if (appId != null) {
      Bus.publish(vertx, Bus.APP_CHANGED, new AppMessages.Changed(appId, body.getString("change"), true));
    }
  }

  @Override
  public Future<?> stop() {
    return Future.join(publisher.close(), subscription.close());
  }
}
