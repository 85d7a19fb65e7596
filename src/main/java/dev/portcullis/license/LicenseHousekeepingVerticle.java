package dev.portcullis.license;

import dev.portcullis.core.AuditEvent;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link Housekeeping} every {@code PORTCULLIS_LICENSE_JOB_INTERVAL_MS} (one instance per process; one
 * process per round across the deployment), then revokes the sessions bound to culled devices and expired
 * licenses and records what happened. Publishes the number of live devices as a gauge.
 */
public final class LicenseHousekeepingVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(LicenseHousekeepingVerticle.class);
  private static final String JOB = "license-housekeeping";

  private final AtomicLong liveDevices = new AtomicLong();
  private Postgres pg;
  private RedisStore redis;
  private Housekeeping housekeeping;
  private DeviceSessions sessions;
  private AuditLog audit;
  private LicenseMetrics metrics;
  private long timer = -1;
  private boolean running;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config);
    redis = RedisStore.create(vertx, config);
    audit = new AuditLog(new Bus(vertx));
    housekeeping = new Housekeeping(pg);
    sessions = new DeviceSessions(pg, redis, audit);
    metrics = new LicenseMetrics(Metrics.registry(vertx));
    Gauge.builder("portcullis.license.devices.active", liveDevices, AtomicLong::get)
        .description("Devices holding a seat, across the deployment (as of the last housekeeping round)")
        .register(Metrics.registry(vertx));
    timer = vertx.setPeriodic(LicenseSettings.from(config).jobIntervalMs(), tick -> round());
    return Future.succeededFuture();
  }

  private void round() {
    if (running) {
      return;
    }
    running = true;
    String requestId = JOB + ":" + System.currentTimeMillis();
    housekeeping.run()
        .compose(done -> done.ran() ? afterRound(done, requestId) : Future.succeededFuture())
        .onFailure(failure -> LOG.warn("license housekeeping round failed: {}", failure.getMessage()))
        .onComplete(done -> running = false);
  }

  private Future<Void> afterRound(Housekeeping.Round round, String requestId) {
    liveDevices.set(round.liveDevices());
    if (!round.culled().isEmpty()) {
      metrics.heartbeatsMissed(round.culled().size());
    }
    List<Future<Void>> work = new ArrayList<>();
    for (Housekeeping.Change culled : round.culled()) {
      work.add(revokeAndRecord(culled, LicenseEvents.REASON_DEVICE_DEACTIVATED, AuditEvent.of(
              LicenseEvents.DEVICE_DEACTIVATED, culled.appId(), requestId, null)
          .with("device_id", culled.devices().get(0).toString())
          .with("reason", "heartbeat_dead"), requestId));
    }
    for (Housekeeping.Change expired : round.expired()) {
      work.add(revokeAndRecord(expired, LicenseEvents.REASON_LICENSE_EXPIRED,
          AuditEvent.of(LicenseEvents.EXPIRED, expired.appId(), requestId, null), requestId));
    }
    return Future.join(work).mapEmpty();
  }

  private Future<Void> revokeAndRecord(Housekeeping.Change change, String reason, AuditEvent event, String requestId) {
    return sessions.revoke(change.appId(), change.devices(), reason, requestId, null)
        .compose(revoked -> audit.record(event
            .withUser(change.userId())
            .with("actor", "housekeeping")
            .with("license_id", change.licenseId().toString())
            .with("sessions_revoked", revoked)));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.join(pg.close(), redis.close());
  }
}
