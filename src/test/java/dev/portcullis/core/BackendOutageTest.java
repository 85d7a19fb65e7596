package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.portcullis.testing.TestBackends;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.redis.client.Command;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Backend outages answered by the server itself")
class BackendOutageTest {

  private static Vertx vertx;
  private static Postgres pg;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    pg = Postgres.create(vertx, config(TestBackends.newDatabase().toUrl(), TestBackends.redisUrl()));
  }

  @AfterAll
  static void stop() {
    pg.close().await();
    vertx.close().await();
  }

  @ParameterizedTest
  @ValueSource(strings = {"57P01", "57P03", "53300", "08006", "55P03"})
  @DisplayName("a Postgres that says it is shutting down, starting or out of connections, or a lock waited on too long, is 503 unavailable")
  void postgresOutageStates(String sqlState) throws Exception {
    Throwable failure = failureOf(() -> pg.run(pool -> pool.query(raise(sqlState)).execute()));
    assertEquals(ErrorCode.UNAVAILABLE, assertInstanceOf(ApiException.class, failure).code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"23505", "P0001", "22P02"})
  @DisplayName("any other error Postgres answers stays a PgException for the caller to judge")
  void postgresOtherErrors(String sqlState) throws Exception {
    Throwable failure = failureOf(() -> pg.run(pool -> pool.query(raise(sqlState)).execute()));
    assertEquals(sqlState, assertInstanceOf(PgException.class, failure).getSqlState());
  }

  @org.junit.jupiter.api.Test
  @DisplayName("a bug inside a transaction stays a bug (answered 500 and logged), not a 503 outage")
  void bugInsideTransaction() throws Exception {
    Throwable failure = failureOf(() -> pg.inTransaction(conn -> conn.query("SELECT 1").execute()
        .map(rows -> ((String) null).length())));
    assertInstanceOf(NullPointerException.class, failure);
    assertEquals(ErrorCode.INTERNAL_ERROR, Failures.toApi(failure).code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"LOADING Redis is loading the dataset in memory", "READONLY You can't write against a read only replica.",
      "MASTERDOWN Link with MASTER is down", "BUSY Redis is busy running a script", "CLUSTERDOWN The cluster is down",
      "NOREPLICAS Not enough good replicas to write."})
  @DisplayName("a Redis that says it is loading, read-only, busy, down or short of the replicas min-replicas-to-write "
      + "asks for is 503 unavailable")
  void redisOutageStates(String error) throws Exception {
    try (ErringRedis redis = new ErringRedis(error)) {
      RedisStore store = RedisStore.create(vertx, config(TestBackends.newDatabase().toUrl(), redis.url()));
      try {
        Throwable failure = failureOf(() -> store.send(Command.GET, store.key("x")));
        assertEquals(ErrorCode.UNAVAILABLE, assertInstanceOf(ApiException.class, failure).code(), failure.toString());
      } finally {
        store.close();
      }
    }
  }

  private static String raise(String sqlState) {
    return "DO $$ BEGIN RAISE EXCEPTION 'raised for a test' USING ERRCODE = '" + sqlState + "'; END $$";
  }

  private static Throwable failureOf(Supplier<Future<?>> call) throws Exception {
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    vertx.runOnContext(ignored -> call.get().onComplete(done -> failure.complete(done.cause())));
    return failure.get(10, TimeUnit.SECONDS);
  }

  private static GatewayConfig config(String pgUrl, String redisUrl) {
    return GatewayConfig.from(new JsonObject()
        .put(GatewayConfig.HTTP_PORT, 0)
        .put(GatewayConfig.MANAGEMENT_PORT, 0)
        .put(GatewayConfig.HTTP_INSTANCES, 1)
        .put(GatewayConfig.PG_URL, pgUrl)
        .put(GatewayConfig.PG_POOL_SIZE, 2)
        .put(GatewayConfig.REDIS_URL, redisUrl)
        .put(GatewayConfig.ISSUER, "http://localhost:8080")
        .put(GatewayConfig.BACKEND_TIMEOUT_MS, 2000)
        .put(GatewayConfig.OTP_EMAIL_CHANNEL, "log")
        .put(GatewayConfig.OTP_SMS_CHANNEL, "log")
        .put(GatewayConfig.DEV_MODE, true));
  }

  /** A Redis stand-in that refuses protocol negotiation and answers every other command with one error. */
  private static final class ErringRedis implements AutoCloseable {

    private final ServerSocket server;
    private final Thread acceptor;

    ErringRedis(String error) throws IOException {
      server = new ServerSocket(0);
      acceptor = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            Socket socket = server.accept();
            Thread connection = new Thread(() -> answer(socket, error));
            connection.setDaemon(true);
            connection.start();
          } catch (IOException closed) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String url() {
      return "redis://127.0.0.1:" + server.getLocalPort();
    }

    private static void answer(Socket socket, String error) {
      try (socket) {
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        OutputStream out = socket.getOutputStream();
        String line;
        while ((line = in.readLine()) != null) {
          if (!line.startsWith("*")) {
            continue;
          }
          List<String> command = new ArrayList<>();
          for (int i = Integer.parseInt(line.substring(1)); i > 0; i--) {
            in.readLine(); // $length
            command.add(in.readLine());
          }
          String reply = command.get(0).toUpperCase(Locale.ROOT).equals("HELLO") ? "ERR unknown command 'HELLO'" : error;
          out.write(("-" + reply + "\r\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      } catch (IOException closed) {
        // the client went away
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
