package dev.portcullis.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Redis channel subscribed on a connection of its own, kept up: a lost connection is reconnected a second
 * later, for as long as the subscription is open. It tells its owner each message's payload, and when it comes
 * up (the SUBSCRIBE was confirmed: every message published from then on arrives) and goes down (messages
 * published from then on may be lost). A connection that stops answering PINGs counts as lost. Runs on the
 * context of the verticle that opened it.
 */
public final class RedisSubscription {

  private static final Logger LOG = LoggerFactory.getLogger(RedisSubscription.class);
  private static final long RECONNECT_MS = 1_000;
  private static final long PING_EVERY_MS = 1_000;

  /** What a subscription tells its owner. */
  public interface Listener {

    void message(String payload);

    /** Subscribed: every message published from now on will arrive (until {@link #down()}). */
    default void up() {
    }

    /** The connection is lost: messages published from now on until the next {@link #up()} may be lost. */
    default void down() {
    }
  }

  private final Vertx vertx;
  private final List<Redis> clients;
  private final String channel;
  private final Listener listener;
  private final long timeoutMs;
  private RedisConnection connection;
  /** The client subscribing now; the next one is tried after a failed or lost connection. */
  private int current;
  /** Counts the attempts to subscribe, so that a connection made after its attempt was given up is closed. */
  private long attempt;
  private long pinger = -1;
  private long heardAtNanos;
  private boolean closed;
  /** Whether this outage was logged: a Redis down for minutes logged a warning per retry, twice a second. */
  private boolean outageLogged;

  private RedisSubscription(Vertx vertx, GatewayConfig config, String channel, Listener listener) {
    this.vertx = vertx;
    this.clients = RedisTopologies.subscriberOptions(config).stream()
        .map(options -> Redis.createClient(vertx, options))
        .toList();
    this.channel = channel;
    this.listener = listener;
    this.timeoutMs = config.backendTimeoutMs();
  }

  /** Subscribes to {@code channel} (the full name, prefix included) and keeps the subscription up until closed. */
  public static RedisSubscription open(Vertx vertx, GatewayConfig config, String channel, Listener listener) {
    RedisSubscription subscription = new RedisSubscription(vertx, config, channel, listener);
    subscription.subscribe();
    return subscription;
  }

  /**
   * Connects, names the connection and subscribes, all within the backend timeout: a node that takes the
   * connection and never answers is given up, and the next one tried.
   */
  private void subscribe() {
    if (closed) {
      return;
    }
    long thisAttempt = ++attempt;
    clients.get(current).connect()
        .compose(connected -> {
          if (thisAttempt != attempt || closed) {
            connected.close();
            return Future.failedFuture("given up");
          }
          connection = connected;
          connected.handler(this::receive);
          connected.exceptionHandler(failure -> lost(connected, failure.getMessage()));
          connected.endHandler(ended -> lost(connected, "connection closed"));
          return connected.send(Request.cmd(Command.CLIENT).arg("SETNAME").arg(clientName(channel)))
              .compose(named -> connected.send(Request.cmd(Command.SUBSCRIBE).arg(channel)))
              .map(subscribed -> connected);
        })
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .onSuccess(subscribed -> {
          if (!closed) {
            if (outageLogged) {
              LOG.info("subscribed to {} again", channel);
              outageLogged = false;
            }
            heard();
            pinger = vertx.setPeriodic(PING_EVERY_MS, id -> ping(subscribed));
            listener.up();
          }
        })
        .onFailure(failure -> {
          if (thisAttempt != attempt) {
            return;
          }
          attempt++;
          if (!outageLogged) {
            LOG.warn("not subscribed to {}: {}; retrying every {} ms until it is", channel, failure.getMessage(),
                RECONNECT_MS);
            outageLogged = true;
          }
          if (connection != null) {
            lost(connection, failure.getMessage());
          } else {
            current = (current + 1) % clients.size();
            vertx.setTimer(RECONNECT_MS, id -> subscribe());
          }
        });
  }

  /**
   * A subscribed connection to a node that hangs stays open and delivers nothing: it is sent a PING every second,
   * and when nothing at all has arrived on it for the backend timeout past the last second's PING, it counts as lost.
   * Whatever arrives counts, not only the PING's own answer: the client hands a PONG that reaches it just behind a
   * published message to the message handler instead (the message takes the PING's place in its queue).
   */
  private void ping(RedisConnection subscribed) {
    if (System.nanoTime() - heardAtNanos > TimeUnit.MILLISECONDS.toNanos(timeoutMs + PING_EVERY_MS)) {
      lost(subscribed, "nothing heard for " + (timeoutMs + PING_EVERY_MS) + " ms, PINGs included");
      return;
    }
    subscribed.send(Request.cmd(Command.PING)).onSuccess(pong -> heard());
  }

  private void heard() {
    heardAtNanos = System.nanoTime();
  }

  /** The name the subscribing connection gives itself, so {@code CLIENT LIST} tells what it is. */
  public static String clientName(String channel) {
    return "portcullis-subscriber:" + channel;
  }

  private void lost(RedisConnection lostConnection, String why) {
    if (lostConnection != connection) {
      return;
    }
    connection = null;
    stopPinging();
    lostConnection.close();
    if (closed) {
      return;
    }
    LOG.warn("subscription to {} lost: {}; resubscribing", channel, why);
    listener.down();
    current = (current + 1) % clients.size();
    vertx.setTimer(RECONNECT_MS, id -> subscribe());
  }

  private void stopPinging() {
    if (pinger >= 0) {
      vertx.cancelTimer(pinger);
      pinger = -1;
    }
  }

  private void receive(Response message) {
    heard();
    if (message == null || message.type() != ResponseType.PUSH && message.type() != ResponseType.MULTI
        || message.size() < 3 || !"message".equals(message.get(0).toString())) {
      return;
    }
    listener.message(message.get(2).toString());
  }

  public Future<Void> close() {
    closed = true;
    connection = null;
    stopPinging();
    return Future.all(clients.stream().map(Redis::close).toList()).mapEmpty();
  }
}
