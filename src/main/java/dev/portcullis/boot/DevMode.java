package dev.portcullis.boot;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import dev.portcullis.core.Secrets;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code start-dev}: a working gateway on a fresh machine with no other step. Uses the configured Postgres
 * and Redis when they answer, else embedded ones with their data under {@code .portcullis-dev/}; keeps a
 * generated master key and admin key there; sends OTP codes to the log.
 */
public final class DevMode {

  private static final Logger LOG = LoggerFactory.getLogger(DevMode.class);
  private static final Path HOME = Path.of(".portcullis-dev");
  private static final int EMBEDDED_PG_PORT = 54329;
  private static final int EMBEDDED_REDIS_PORT = 63799;

  private DevMode() {
  }

  public static Future<JsonObject> prepare(Vertx vertx, JsonObject raw) {
    return vertx.executeBlocking(() -> prepare(raw), false);
  }

  private static JsonObject prepare(JsonObject raw) throws Exception {
    Files.createDirectories(HOME);
    JsonObject config = raw.copy().put(GatewayConfig.DEV_MODE, true);

    PgUrl pg = PgUrl.parse(GatewayConfig.PG_URL, raw.getString(GatewayConfig.PG_URL));
    if (!Ports.reachable(pg.host(), pg.port())) {
      LOG.info("no Postgres at {}:{}: starting an embedded one if this jar has it (data in {})", pg.host(), pg.port(),
          HOME.resolve("postgres"));
      embedded("Postgres", pg.host() + ":" + pg.port(),
          () -> EmbeddedBackends.startPostgres(HOME.resolve("postgres"), EMBEDDED_PG_PORT));
      pg = new PgUrl("127.0.0.1", EMBEDDED_PG_PORT, pg.database(), "postgres", null);
      config.put(GatewayConfig.PG_URL, pg.toUrl());
    }
    Migrations.createDatabaseIfMissing(pg);

    // One URL, or with sentinel or cluster a comma-separated list of nodes: the embedded Redis stands in only when
    // none answers, and it is a standalone one.
    List<URI> redisNodes = java.util.Arrays.stream(raw.getString(GatewayConfig.REDIS_URL).split(","))
        .map(String::trim)
        .peek(GatewayConfig::checkRedisUrl)
        .map(URI::create)
        .toList();
    if (redisNodes.stream().noneMatch(node -> Ports.reachable(node.getHost(), node.getPort() < 0 ? 6379 : node.getPort()))) {
      URI first = redisNodes.get(0);
      String where = first.getHost() + ":" + (first.getPort() < 0 ? 6379 : first.getPort());
      LOG.info("no Redis at {}: starting an embedded standalone one if this jar has it (data in {})", where,
          HOME.resolve("redis"));
      embedded("Redis", where, () -> EmbeddedBackends.startRedis(HOME.resolve("redis"), EMBEDDED_REDIS_PORT, true));
      config.put(GatewayConfig.REDIS_URL, "redis://127.0.0.1:" + EMBEDDED_REDIS_PORT);
      config.put(GatewayConfig.REDIS_MODE, "standalone");
    }

    if (config.getValue(GatewayConfig.MASTER_KEY) == null) {
      config.put(GatewayConfig.MASTER_KEY, keptSecret("master.key", Base64.getEncoder().encodeToString(Secrets.randomBytes(32))));
    }
    // Where the admin key is, never the key: a log line carries no secret, in dev mode either.
    String adminKeyFrom = "PORTCULLIS_ADMIN_KEY";
    if (config.getValue(GatewayConfig.ADMIN_KEY) == null) {
      config.put(GatewayConfig.ADMIN_KEY, keptSecret("admin.key", "pca_" + Secrets.randomToken(32)));
      adminKeyFrom = HOME.resolve("admin.key").toString();
    }
    if (blank(config.getValue(GatewayConfig.ISSUER))) {
      config.put(GatewayConfig.ISSUER, "http://localhost:" + config.getValue(GatewayConfig.HTTP_PORT));
    }
    // Codes go to the log unless a channel was configured (every key can be overridden, in dev mode too).
    for (String channel : List.of(GatewayConfig.OTP_EMAIL_CHANNEL, GatewayConfig.OTP_SMS_CHANNEL)) {
      if (blank(config.getValue(channel))) {
        config.put(channel, "log");
      }
    }
    LOG.info("DEV MODE: API on http://localhost:{}, management on http://localhost:{}", config.getValue(GatewayConfig.HTTP_PORT),
        config.getValue(GatewayConfig.MANAGEMENT_PORT));
    LOG.info("DEV MODE: admin key (Authorization: Bearer ...) in {}", adminKeyFrom);
    return config;
  }

  private interface Start {
    Object run() throws Exception;
  }

  /**
   * Starts an embedded server, or says what to do when this jar has none: the production jar carries no
   * database binaries ({@code mvn -Pdev package} builds one that does).
   */
  private static void embedded(String what, String where, Start start) throws Exception {
    try {
      start.run();
    } catch (NoClassDefFoundError notInThisJar) {
      throw new IllegalStateException("no " + what + " answers at " + where + " and this jar carries no embedded "
          + what + ": start one there (or point the configuration at one), or build the dev jar with "
          + "`mvn -Pdev -DskipTests package`");
    }
  }

  private static boolean blank(Object value) {
    return value == null || String.valueOf(value).isBlank();
  }

  private static String keptSecret(String name, String fresh) throws IOException {
    Path file = HOME.resolve(name);
    if (Files.exists(file)) {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    }
    Files.writeString(file, fresh + "\n", StandardCharsets.UTF_8);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // not a POSIX file system: the folder's own permissions apply
    }
    return fresh;
  }
}
