package dev.portcullis.boot;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import redis.embedded.RedisServer;

/**
 * Embedded Postgres and Redis for dev mode and for tests on a machine that has neither. Production mode
 * never calls this, and the production jar does not carry the libraries it needs (they are {@code provided};
 * {@code mvn -Pdev package} builds a jar with them). Blocking: call from a worker or the main thread.
 */
public final class EmbeddedBackends {

  private EmbeddedBackends() {
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
