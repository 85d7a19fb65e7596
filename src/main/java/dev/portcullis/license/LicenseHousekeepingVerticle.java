package dev.portcullis.license;

import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import dev.portcullis.token.DeviceSessions;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link Housekeeping} every {@code PORTCULLIS_LICENSE_JOB_INTERVAL_MS} (one instance per process; one
 * process per batch across the deployment; a round never overlaps this process's previous one). The rounds revoke
 * the sessions bound to culled devices and expired licenses and record what happened, each batch in the
 * transaction of its changes. Publishes the number of live devices as a gauge.
 */
public final class LicenseHousekeepingVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(LicenseHousekeepingVerticle.class);
  private static final String JOB = "license-housekeeping";

  private final AtomicLong liveDevices = new AtomicLong();
  private Postgres pg;
  private RedisStore redis;
  private Housekeeping housekeeping;
  private long timer = -1;
  private boolean running;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    LicenseSettings settings = LicenseSettings.from(config);
    // A batch is not a request: it gets the job's bound, not the request-sized PORTCULLIS_BACKEND_TIMEOUT_MS, and a
    // pool of its own, without the requests' lock_timeout (a batch may wait on a device or licence row a while)
    pg = Postgres.create(vertx, config, "portcullis-license-jobs", 2).withTimeout(settings.jobTimeoutMs());
    redis = RedisStore.create(vertx, config);
    AuditLog audit = new AuditLog(new Bus(vertx, config));
    housekeeping = new Housekeeping(pg, new DeviceSessions(pg, redis, audit),
        new LicenseMetrics(Metrics.registry(vertx)), config.housekeepingBatchSize());
    Gauge.builder("portcullis.license.devices.active", liveDevices, AtomicLong::get)
        .description("Devices holding a seat, across the deployment (as of the last housekeeping round)")
        .register(Metrics.registry(vertx));
    timer = vertx.setPeriodic(settings.jobIntervalMs(), tick -> round());
    return Future.succeededFuture();
  }

  private void round() {
    if (running) {
      return;
    }
    running = true;
    housekeeping.run(JOB + ":" + System.currentTimeMillis())
        .onSuccess(this::afterRound)
        .onFailure(failure -> LOG.warn("license housekeeping round failed (what its batches committed stands, "
            + "with its sessions revoked and its events staged): {}", failure.getMessage()))
        .onComplete(done -> running = false);
  }

  private void afterRound(Housekeeping.Round round) {
    if (!round.ran()) {
      return;
    }
    liveDevices.set(round.liveDevices());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.join(pg.close(), redis.close());
  }
}
