package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.Await;
import dev.portcullis.testing.RedisProcesses;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.Vertx;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A Redis subscription kept up")
class RedisSubscriptionTest {

  /**
   * The subscription pings its connection to notice a node that hangs. The client hands a PONG that arrives just
   * behind a published message to the message handler and never completes the PING: a liveness check that waited
   * for the PING's own answer called a busy subscription lost and resubscribed, again and again.
   */
  @Test
  @DisplayName("a subscription under a flood of published messages stays up: no down, no resubscription, and a "
      + "message published after the flood arrives")
  void floodDoesNotLookLikeAHang() throws Exception {
    RedisProcesses.requireBinaries("redis-benchmark");
    try (TestGateway gateway = TestGateway.start()) {
      GatewayConfig config = gateway.config();
      String channel = gateway.redisPrefix() + "flood-" + UUID.randomUUID();
      Vertx vertx = Vertx.vertx();
      AtomicInteger ups = new AtomicInteger();
      AtomicInteger downs = new AtomicInteger();
      AtomicInteger lasts = new AtomicInteger();
      RedisSubscription.Listener listener = new RedisSubscription.Listener() {
        @Override
        public void message(String payload) {
          if (payload.equals("last")) {
            lasts.incrementAndGet();
          }
        }

        @Override
        public void up() {
          ups.incrementAndGet();
        }

        @Override
        public void down() {
          downs.incrementAndGet();
        }
      };
      // opened on an event loop's context, as a verticle opens it: its callbacks all run there
      CompletableFuture<RedisSubscription> opened = new CompletableFuture<>();
      vertx.getOrCreateContext().runOnContext(ignored ->
          opened.complete(RedisSubscription.open(vertx, config, channel, listener)));
      RedisSubscription subscription = opened.get(10, TimeUnit.SECONDS);
      try {
        Await.until("subscribed", Duration.ofSeconds(10), () -> ups.get() == 1);
        URI redis = URI.create(config.redisNodes().get(0));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < end) {
          flood(redis, channel);
        }
        gateway.redis(io.vertx.redis.client.Command.PUBLISH, channel, "last");
        // The flood is three seconds of messages: reading them all takes longer when the machine is busy.
        Await.until("the message after the flood", Duration.ofSeconds(30), () -> lasts.get() == 1);
        assertEquals(0, downs.get(), "times the subscription was called lost");
        assertEquals(1, ups.get(), "times it subscribed");
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * 10,000 PUBLISHes, one at a time on each of two connections: a steady stream between the PINGs. Pipelined 50 at a
   * time, a fast machine published faster than a busy one could read, until Redis cut the subscriber off at its
   * pub/sub output buffer limit (32 MB) and the message after the flood, published meanwhile, was lost.
   */
  private static void flood(URI redis, String channel) throws Exception {
    Process process = new ProcessBuilder(List.of("redis-benchmark", "-h", redis.getHost(), "-p",
        Integer.toString(redis.getPort() < 0 ? 6379 : redis.getPort()), "-c", "2", "-n", "10000", "-q",
        "PUBLISH", channel, "flood"))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("redis-benchmark did not finish");
    }
  }
}
