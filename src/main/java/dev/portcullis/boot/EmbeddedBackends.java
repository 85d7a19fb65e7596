package dev.portcullis.boot;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import redis.embedded.RedisServer;

/**
 * Embedded Postgres and Redis for dev mode and for tests on a machine that has neither. Production mode
 * never calls this. Blocking: call from a worker or the main thread, never an event loop.
 */
public final class EmbeddedBackends {

  private EmbeddedBackends() {
  }

  public static boolean reachable(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Starts Postgres with its data in {@code dataDir} (kept across restarts when it already holds a cluster). */
  public static EmbeddedPostgres startPostgres(Path dataDir, int port) throws IOException {
    Files.createDirectories(dataDir);
    return EmbeddedPostgres.builder()
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(false)
        .setPort(port)
        .setPGStartupWait(Duration.ofSeconds(60))
        .start();
  }

  /** Starts Redis on loopback; with {@code persistent}, it keeps an append-only file in {@code dir}. */
  public static RedisServer startRedis(Path dir, int port, boolean persistent) throws IOException {
    Files.createDirectories(dir);
    RedisServer server = RedisServer.newRedisServer()
        .port(port)
        .bind("127.0.0.1")
        .setting("dir " + dir.toAbsolutePath())
        .setting(persistent ? "appendonly yes" : "appendonly no")
        .setting("save \"\"")
        .build();
    server.start();
    return server;
  }
}
