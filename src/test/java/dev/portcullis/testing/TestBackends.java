package dev.portcullis.testing;

import dev.portcullis.boot.EmbeddedBackends;
import dev.portcullis.boot.Ports;
import dev.portcullis.boot.Migrations;
import dev.portcullis.core.PgUrl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.UUID;

/**
 * The real Postgres and Redis the tests run against: the servers at 127.0.0.1:5432 and :6379 when they
 * answer (CI starts them), else embedded ones started once per test JVM. Each test class gets its own
 * database and Redis key prefix, so classes can run in any order.
 */
public final class TestBackends {

  private static PgUrl postgres;
  private static String redisUrl;

  private TestBackends() {
  }

  public static synchronized PgUrl postgres() {
    if (postgres == null) {
      String host = System.getenv().getOrDefault("PORTCULLIS_TEST_PG_HOST", "127.0.0.1");
      int port = Integer.parseInt(System.getenv().getOrDefault("PORTCULLIS_TEST_PG_PORT", "5432"));
      if (Ports.reachable(host, port)) {
        postgres = new PgUrl(host, port, "postgres", "postgres", null);
      } else {
        try {
          Path dir = Files.createTempDirectory("portcullis-test-pg");
          var embedded = EmbeddedBackends.startPostgres(dir, freePort());
          System.err.println("tests: no Postgres at " + host + ":" + port + ", using an embedded one on " + embedded.getPort());
          postgres = new PgUrl("127.0.0.1", embedded.getPort(), "postgres", "postgres", null);
        } catch (Exception e) {
          throw new IllegalStateException("no Postgres at " + host + ":" + port + " and the embedded one did not start", e);
        }
      }
    }
    return postgres;
  }

  public static synchronized String redisUrl() {
    if (redisUrl == null) {
      String host = System.getenv().getOrDefault("PORTCULLIS_TEST_REDIS_HOST", "127.0.0.1");
      int port = Integer.parseInt(System.getenv().getOrDefault("PORTCULLIS_TEST_REDIS_PORT", "6379"));
      if (Ports.reachable(host, port)) {
        redisUrl = "redis://" + host + ":" + port;
      } else {
        try {
          int embeddedPort = freePort();
          EmbeddedBackends.startRedis(Files.createTempDirectory("portcullis-test-redis"), embeddedPort, false);
          System.err.println("tests: no Redis at " + host + ":" + port + ", using an embedded one on " + embeddedPort);
          redisUrl = "redis://127.0.0.1:" + embeddedPort;
        } catch (Exception e) {
          throw new IllegalStateException("no Redis at " + host + ":" + port + " and the embedded one did not start", e);
        }
      }
    }
    return redisUrl;
  }

  /** Flyway on {@code database} with the gateway's scripts, up to {@code target} ("latest" for all): for migration tests. */
  public static org.flywaydb.core.Flyway flyway(PgUrl database, String target) {
    return org.flywaydb.core.Flyway.configure()
        .dataSource(database.jdbcUrl(), database.user(), database.password())
        .locations("classpath:db/migration")
        .target(target)
        .load();
  }

  public static java.sql.Connection connect(PgUrl database) throws java.sql.SQLException {
    return java.sql.DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
  }

  /** A new, empty database for one test class. */
  public static PgUrl newDatabase() {
    PgUrl url = postgres().withDatabase("pc_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16)
        .toLowerCase(Locale.ROOT));
    try {
      Migrations.createDatabaseIfMissing(url);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create test database " + url.database(), e);
    }
    return url;
  }

  /** A Redis key prefix no other test class uses. */
  public static String newRedisPrefix() {
    return "pctest:" + UUID.randomUUID().toString().substring(0, 8) + ":";
  }

  /**
   * A port free now, below Linux's ephemeral range (32768 and up), and so is the port 10,000 above it (a Redis
   * cluster node's bus): a port the kernel handed out as ephemeral could be given next to an outgoing connection (a
   * Postgres or Redis client of the gateway starting on it), and the gateway's listen then failed (BootOrderTest
   * waited a minute for a management port that never opened).
   */
  public static int freePort() {
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    int from = 10_000;
    int to = 22_000;
    // Surefire's test JVMs run at the same time: each takes its own third, so two never pick one port in between
    // the check here and their gateway's listen.
    String fork = System.getProperty("portcullis.test.fork", "");
    if (fork.matches("[0-9]+")) {
      from += (Integer.parseInt(fork) - 1) % 3 * 4_000;
      to = from + 4_000;
    }
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = random.nextInt(from, to);
      try (var socket = new java.net.ServerSocket(port); var bus = new java.net.ServerSocket(port + 10_000)) {
        socket.setReuseAddress(true);
        bus.setReuseAddress(true);
        return port;
      } catch (java.io.IOException taken) {
        // another one
      }
    }
    throw new IllegalStateException("no free port between " + from + " and " + to);
  }
}
