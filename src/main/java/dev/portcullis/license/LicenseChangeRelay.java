package dev.portcullis.license;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.RedisSubscription;
import dev.portcullis.core.messages.LicenseMessages;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.UUID;

/**
 * Relays the license generations other processes replace ({@link LicenseGenerations}) to this process's event
 * loops as {@code LICENSE_CHANGED}, and tells them whether it can: {@code LICENSE_RELAY} on every change of the
 * subscription and every second, so an event loop that started late, or whose relay went silent, knows too.
 * While the subscription is down, the event loops read every app's generation from Redis again (one instance
 * per process).
 */
public final class LicenseChangeRelay extends VerticleBase {

  static final long ANNOUNCE_MS = 1_000;

  private RedisSubscription subscription;
  private long epoch;
  /** Written on this verticle's event loop, read by the gauge on the scraping thread. */
  private volatile boolean up;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    Gauge.builder("portcullis.license.generation.relay.up", () -> up ? 1 : 0)
        .description("1 while license changes made by other processes reach this one as they happen; 0 while "
            + "every license verify reads its app's generation from Redis instead")
        .register(Metrics.registry(vertx));
    subscription = RedisSubscription.open(vertx, config, LicenseGenerations.channel(config.redisPrefix()),
        new RedisSubscription.Listener() {
          @Override
          public void message(String payload) {
            UUID appId = AppDirectory.parseUuid(payload);
            if (appId != null) {
              Bus.publish(vertx, Bus.LICENSE_CHANGED, new LicenseMessages.Changed(appId));
            }
          }

          @Override
          public void up() {
            epoch++;
            up = true;
            announce();
          }

          @Override
          public void down() {
            up = false;
            announce();
          }
        });
    vertx.setPeriodic(ANNOUNCE_MS, tick -> announce());
    return Future.succeededFuture();
  }

  private void announce() {
    Bus.publish(vertx, Bus.LICENSE_RELAY, new LicenseMessages.Relay(epoch, up));
  }

  @Override
  public Future<?> stop() {
    up = false;
    announce();
    return subscription.close();
  }
}
