package dev.portcullis.testing;

import dev.portcullis.boot.ConfigLoader;
import dev.portcullis.boot.Gateway;
import dev.portcullis.boot.GatewayVertx;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * A real gateway for a test: its own Vert.x (with metrics and a tight blocked-thread check), its own
 * database and Redis prefix, on free ports. {@link #sibling()} starts a second gateway process on the
 * same database and Redis, as a second pod would be.
 */
public final class TestGateway implements AutoCloseable {

  public static final String ADMIN_KEY = "test-admin-key-0123456789";
  /** base64 of the bytes 0..31: a valid master key that is the same for every gateway of a test run. */
  public static final String TEST_MASTER_KEY = Base64.getEncoder().encodeToString(sequence(32));

  private final Vertx vertx;
  private final Gateway gateway;
  private final JsonObject overrides;
  private final PgUrl database;
  private final Http http;
  private final Http management;

  private TestGateway(Vertx vertx, Gateway gateway, JsonObject overrides, PgUrl database) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.overrides = overrides;
    this.database = database;
    this.http = new Http(gateway.config().httpPort());
    this.management = new Http(gateway.config().managementPort());
  }

  /** A gateway on a fresh database and Redis prefix. */
  public static TestGateway start() {
    return start(new JsonObject());
  }

  /** A gateway on a fresh database and Redis prefix, with extra configuration. */
  public static TestGateway start(JsonObject extra) {
    PgUrl database = TestBackends.newDatabase();
    JsonObject overrides = new JsonObject()
        .put(GatewayConfig.PG_URL, database.toUrl())
        .put(GatewayConfig.PG_POOL_SIZE, 4)
        .put(GatewayConfig.REDIS_URL, TestBackends.redisUrl())
        .put(GatewayConfig.REDIS_PREFIX, TestBackends.newRedisPrefix())
        .put(GatewayConfig.MASTER_KEY, TEST_MASTER_KEY)
        .put(GatewayConfig.ADMIN_KEY, ADMIN_KEY)
        .put(GatewayConfig.ISSUER, "http://localhost:8080")
        .put(GatewayConfig.HTTP_INSTANCES, 2)
        .put(GatewayConfig.BACKEND_TIMEOUT_MS, 1500)
        // Delivery retries 20, 40, 80 ms apart: tests assert the attempts, not the production waits.
        .put(GatewayConfig.OTP_DELIVERY_BACKOFF_MS, 20)
        .mergeIn(extra);
    return launch(overrides, database);
  }

  /** A second gateway process on the same database, Redis and keys (new ports). */
  public TestGateway sibling() {
    JsonObject copy = overrides.copy();
    copy.remove(GatewayConfig.HTTP_PORT);
    copy.remove(GatewayConfig.MANAGEMENT_PORT);
    return launch(copy, database);
  }

  private static TestGateway launch(JsonObject overrides, PgUrl database) {
    // A test may fix the HTTP port, to name it in PORTCULLIS_ISSUER (OpenID Connect discovery follows that URL)
    int httpPort = overrides.getInteger(GatewayConfig.HTTP_PORT, TestBackends.freePort());
    int managementPort = TestBackends.freePort();
    while (managementPort == httpPort) {
      managementPort = TestBackends.freePort(); // the kernel may hand a port it just freed out again
    }
    JsonObject config = overrides.copy()
        .put(GatewayConfig.HTTP_PORT, httpPort)
        .put(GatewayConfig.MANAGEMENT_PORT, managementPort);
    Vertx vertx = GatewayVertx.create(new VertxOptions()
        .setBlockedThreadCheckInterval(500)
        .setMaxEventLoopExecuteTime(2)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.SECONDS));
    try {
      Gateway gateway = ConfigLoader.load(vertx, config, false)
          .compose(loaded -> Gateway.start(vertx, loaded))
          .await(60, TimeUnit.SECONDS);
      return new TestGateway(vertx, gateway, config, database);
    } catch (Exception e) {
      vertx.close();
      throw new IllegalStateException("gateway did not start", e);
    }
  }

  public Http http() {
    return http;
  }

  public Http management() {
    return management;
  }

  public Vertx vertx() {
    return vertx;
  }

  public GatewayConfig config() {
    return gateway.config();
  }

  public String redisPrefix() {
    return overrides.getString(GatewayConfig.REDIS_PREFIX);
  }

  /** Creates an app with the admin key; returns the 201 body (with app_secret). */
  public JsonObject createApp(String slug) {
    return createApp(new JsonObject().put("name", "App " + slug).put("slug", slug));
  }

  public JsonObject createApp(JsonObject body) {
    ApiResponse response = http.post("/v1/apps", body, Http.bearer(ADMIN_KEY));
    if (response.status() != 201) {
      throw new AssertionError("creating app failed: " + response);
    }
    return response.json();
  }

  /** A JDBC connection to this gateway's database, for asserting stored state. */
  public Connection jdbc() {
    try {
      return DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The single number a SQL query answers (e.g. a count), read from this gateway's database. */
  public long count(String sql) {
    try (Connection connection = jdbc(); java.sql.Statement statement = connection.createStatement();
         java.sql.ResultSet rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs one Redis command against this gateway's Redis (keys are NOT prefixed for you). */
  public Response redis(Command command, Object... args) {
    Redis client = Redis.createClient(vertx, TestBackends.redisUrl());
    try {
      return client.send(Request.cmd(command, args)).await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      client.close();
    }
  }

  private static byte[] sequence(int length) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = (byte) i;
    }
    return bytes;
  }

  public static JsonArray array(Object... items) {
    return new JsonArray(java.util.List.of(items));
  }

  /** Stops the gateway as SIGTERM would: drain, flush, undeploy. */
  public void stop() {
    try {
      gateway.stop().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      gateway.stop().await(30, TimeUnit.SECONDS);
      vertx.close().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
