package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One event loop, a long backend timeout, and look-ups of signing keys held up by a lock on their table. */
@DisplayName("Tokens naming made-up kids: their look-ups wait in a short line, not in every Postgres connection")
class UnseenKidLookupTest {

  private static final int REQUESTS = 100;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .webhook()
      .config(dev.portcullis.owner.SignIns.LIMITS)
      .config(GatewayConfig.HTTP_INSTANCES, 1)
      .config(GatewayConfig.BACKEND_TIMEOUT_MS, 20_000);

  private static TestGateway gateway;
  private static dev.portcullis.testing.WebhookReceiver inbox;

  /** An access token's shape, naming a kid no key has, with a signature that would not verify anyway. */
  static String madeUpToken() {
    Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
    String header = "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"" + UUID.randomUUID() + "\"}";
    return url.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
        + url.encodeToString("{}".getBytes(StandardCharsets.UTF_8)) + ".AAAA";
  }

  /** Closes, as a Redis restart would, the connections subscribed to app changes: the relay then misses some. */
  private static void dropAppChangeSubscriptions() {
    String name = dev.portcullis.core.RedisSubscription.clientName(gateway.redisPrefix() + "app-changed");
    for (String client : gateway.redis(io.vertx.redis.client.Command.CLIENT, "LIST", "TYPE", "pubsub").toString()
        .split("\n")) {
      if (client.contains(" name=" + name + " ")) {
        gateway.redis(io.vertx.redis.client.Command.CLIENT, "KILL", "ID",
            client.substring(client.indexOf("id=") + 3, client.indexOf(' ')));
      }
    }
  }

  private static boolean subscribed() {
    String name = dev.portcullis.core.RedisSubscription.clientName(gateway.redisPrefix() + "app-changed");
    return java.util.Arrays.stream(gateway.redis(io.vertx.redis.client.Command.CLIENT, "LIST", "TYPE", "pubsub")
        .toString().split("\n"))
        .anyMatch(client -> client.contains(" name=" + name + " ") && client.contains(" sub=1 "));
  }

  private static String statusOf(String token) {
    try (Socket socket = new Socket("127.0.0.1", gateway.config().httpPort())) {
      socket.setSoTimeout(60_000);
      socket.getOutputStream().write(("GET /auth/me HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
          + "Authorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    } catch (IOException e) {
      return e.toString();
    }
  }

  /**
   * Sends {@link #REQUESTS} tokens naming made-up kids while the keys' table is locked, and waits until those beyond
   * the line's places were answered 503 (the line is full); their answers.
   */
  private static List<CompletableFuture<String>> fillTheLine(java.util.concurrent.ExecutorService clients) {
    List<CompletableFuture<String>> answers = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      String token = madeUpToken();
      answers.add(CompletableFuture.supplyAsync(() -> statusOf(token), clients));
    }
    int beyondTheLine = REQUESTS - VerificationKeys.UNSEEN_AT_ONCE - VerificationKeys.UNSEEN_WAITING;
    Await.until(beyondTheLine + " answered 503 while the table is still locked", Duration.ofSeconds(15),
        () -> answers.stream().filter(answer -> answer.isDone()
            && answer.join().startsWith("HTTP/1.1 503")).count() >= beyondTheLine);
    return answers;
  }

  @Test
  @DisplayName("with Postgres slow, a flood of made-up kids holds two connections of their own, four look-ups and 64 "
      + "waiting; the rest are 503 at once (h91: a query per kid, as many at once as the pool allows)")
  void floodOfMadeUpKids() throws Exception {
    java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(REQUESTS);
    try (Connection db = gateway.jdbc(); Statement lock = db.createStatement()) {
      db.setAutoCommit(false);
      lock.execute("LOCK TABLE signing_keys IN ACCESS EXCLUSIVE MODE");
      List<CompletableFuture<String>> answers = fillTheLine(clients);
      assertEquals(Introspection.UNSEEN_KID_CONNECTIONS, gateway.count("SELECT count(*) FROM pg_locks l "
          + "JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'signing_keys' AND NOT l.granted "
          + "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
          "look-ups waiting on the table: only those of the unseen kids' own connections");
      db.rollback();
      for (CompletableFuture<String> answer : answers) {
        String status = answer.get();
        assertTrue(status.startsWith("HTTP/1.1 503") || status.startsWith("HTTP/1.1 401"), status);
      }
    } finally {
      clients.shutdownNow();
    }
  }

  @Test
  @DisplayName("a kid that verified a token is never held up by made-up kids, even once every cache of this verticle "
      + "has dropped it (h95: a flood made known tokens 503)")
  void knownKidsBypassTheLine() throws Exception {
    String token = dev.portcullis.owner.SignIns.user(gateway, inbox, gateway.createApp("kid-line"), "kid@example.com")
        .getString("access_token");
    assertTrue(statusOf(token).startsWith("HTTP/1.1 200"));
    dropAppChangeSubscriptions();
    Await.until("the relay subscribed again (every cache dropped)", Duration.ofSeconds(10),
        UnseenKidLookupTest::subscribed);
    java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(REQUESTS + 1);
    try (Connection db = gateway.jdbc(); Statement lock = db.createStatement()) {
      db.setAutoCommit(false);
      lock.execute("LOCK TABLE signing_keys IN ACCESS EXCLUSIVE MODE");
      fillTheLine(clients);
      CompletableFuture<String> known = CompletableFuture.supplyAsync(() -> statusOf(token), clients);
      // Answered at once only if refused by the full line; otherwise it waits on the lock like any known key.
      Await.until("the known token is answered or waits on the table", Duration.ofSeconds(10), () -> known.isDone()
          || gateway.count("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
              + "WHERE c.relname = 'signing_keys' AND NOT l.granted "
              + "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())")
          > Introspection.UNSEEN_KID_CONNECTIONS);
      db.rollback();
      assertTrue(known.get().startsWith("HTTP/1.1 200"), known.get());
    } finally {
      clients.shutdownNow();
    }
  }
}
