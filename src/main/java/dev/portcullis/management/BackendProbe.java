package dev.portcullis.management;

import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether this process reaches Postgres and Redis: asked by readiness, and every few seconds for the gauge
 * {@code portcullis_backend_up{backend}} (1 up, 0 down) that the "store down" alert watches, and for how far this
 * process's clock is from the database's ({@link ClockSkew}).
 */
final class BackendProbe {

  static final long INTERVAL_MS = 5_000;
  /**
   * A store that has not answered within this is reported down: readiness must answer well inside the kubelet's
   * probe timeout (2 s in k8s/deployment.yaml) while a store hangs, or every pod would leave the Service.
   */
  static final long ANSWER_WITHIN_MS = 500;

  /** The database's clock, which the probe also reads for {@link ClockSkew}. */
  private static final String NOW = "SELECT extract(epoch FROM clock_timestamp())::float8";

  private final Postgres pg;
  private final RedisStore redis;
  private final ClockSkew skew;
  private final AtomicInteger postgresUp = new AtomicInteger();
  private final AtomicInteger redisUp = new AtomicInteger();

  BackendProbe(Postgres pg, RedisStore redis, MeterRegistry registry) {
    this.pg = pg;
    this.redis = redis;
    this.skew = new ClockSkew(registry);
    gauge(registry, "postgres", postgresUp);
    gauge(registry, "redis", redisUp);
  }

  /** Each dependency's state, {@code up} or {@code down}; also updates the gauges. */
  Future<JsonObject> check() {
    long sent = System.currentTimeMillis();
    Future<Boolean> postgres = pg.run(pool -> pool.query(NOW).execute())
        .map(rows -> {
          skew.measured(sent, System.currentTimeMillis(), rows.iterator().next().getDouble(0));
          return true;
        })
        .timeout(ANSWER_WITHIN_MS, TimeUnit.MILLISECONDS).otherwise(false);
    Future<Boolean> redisCheck = redis.send(Command.PING).map(true)
        .timeout(ANSWER_WITHIN_MS, TimeUnit.MILLISECONDS).otherwise(false);
    return Future.join(postgres, redisCheck).transform(done -> {
      postgresUp.set(postgres.result() ? 1 : 0);
      redisUp.set(redisCheck.result() ? 1 : 0);
      return Future.succeededFuture(last());
    });
  }

  /** Each dependency's state as the last check found it. */
  JsonObject last() {
    return new JsonObject()
        .put("postgres", postgresUp.get() == 1 ? "up" : "down")
        .put("redis", redisUp.get() == 1 ? "up" : "down");
  }

  private static void gauge(MeterRegistry registry, String backend, AtomicInteger up) {
    Gauge.builder("portcullis.backend.up", up, AtomicInteger::get)
        .description("1 while this process reaches the backend, 0 while it does not")
        .tag("backend", backend)
        .register(registry);
  }
}
