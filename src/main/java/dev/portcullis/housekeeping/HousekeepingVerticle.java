package dev.portcullis.housekeeping;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link Housekeeping} every {@code PORTCULLIS_HOUSEKEEPING_INTERVAL_MS} (one instance per process; one
 * process at a time does the work, through the advisory lock each batch takes). A run never overlaps the previous one.
 */
public final class HousekeepingVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(HousekeepingVerticle.class);

  private Postgres pg;
  private Housekeeping housekeeping;
  private long interval;
  private long timer = -1;
  private boolean stopped;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config, "portcullis-housekeeping", 1);
    housekeeping = new Housekeeping(pg, config.housekeepingBatchSize(), 20);
    interval = config.housekeepingIntervalMs();
    schedule();
    return Future.succeededFuture();
  }

  private void schedule() {
    if (!stopped) {
      timer = vertx.setTimer(interval, id -> housekeeping.run()
          .onFailure(failure -> LOG.warn("housekeeping run failed: {}", failure.getMessage()))
          .onComplete(done -> schedule()));
    }
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    return pg.close();
  }
}
