package dev.portcullis.core;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

/**
 * The meter registry of one Vert.x instance (one gateway process), reachable from every verticle of it.
 * Meters are thread-safe; labels never carry a user, an email, a phone or a raw path.
 */
public final class Metrics {

  private static final String MAP = "portcullis.metrics";

  private Metrics() {
  }

  private record Holder(MeterRegistry registry) implements Shareable {
  }

  public static void install(Vertx vertx, MeterRegistry registry) {
    LocalMap<String, Holder> map = vertx.sharedData().getLocalMap(MAP);
    map.put("registry", new Holder(registry));
  }

  /** The registry of this Vert.x, or a private one when the gateway runs without metrics (some tests). */
  public static MeterRegistry registry(Vertx vertx) {
    LocalMap<String, Holder> map = vertx.sharedData().getLocalMap(MAP);
    Holder holder = map.computeIfAbsent("registry", ignored -> new Holder(new SimpleMeterRegistry()));
    return holder.registry();
  }
}
