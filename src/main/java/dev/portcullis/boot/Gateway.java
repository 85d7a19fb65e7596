package dev.portcullis.boot;

import dev.portcullis.app.AppChangeRelay;
import dev.portcullis.audit.AuditVerticle;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.housekeeping.HousekeepingVerticle;
import dev.portcullis.license.LicenseChangeRelay;
import dev.portcullis.license.LicenseHousekeepingVerticle;
import dev.portcullis.management.ManagementVerticle;
import dev.portcullis.otp.OtpVerticle;
import dev.portcullis.password.PasswordVerticle;
import dev.portcullis.security.SecurityWebhookVerticle;
import dev.portcullis.token.TokenVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: starts the management server (live, not yet ready), migrates the schema, then deploys Audit,
 * then Token and OTP together, then the HTTP verticles, then turns readiness on. {@link #stop()} turns readiness
 * to 503, undeploys in reverse (HTTP, OTP, Token, Audit), so in-flight requests finish and the audit verticle
 * flushes, and the management server last.
 */
public final class Gateway {

  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Vertx vertx;
  private final GatewayConfig config;
  private final Deque<Deployed> deployments = new ArrayDeque<>();
  /** What {@link #stop()} is waiting for now, for the log of a stop that runs out of time. */
  private volatile String undeploying = "nothing";
  private String management;

  private Gateway(Vertx vertx, GatewayConfig config) {
    this.vertx = vertx;
    this.config = config;
  }

  public static Future<Gateway> start(Vertx vertx, GatewayConfig config) {
    try {
      SettingsCheck.verify(config);
    } catch (IllegalArgumentException bad) {
      return Future.failedFuture(bad);
    }
    UnknownSettings.warn(config.json());
    LibraryLogLevels.hold();
    Gateway gateway = new Gateway(vertx, config);
    long started = System.nanoTime();
    // Liveness answers through a long migration (a startup probe counts its failures), readiness says "starting".
    Future<Void> deployed = gateway.deployTogether(List.of(new Step(ManagementVerticle.class, 1)))
        .compose(up -> RedisTopologyCheck.verify(vertx, config))
        .compose(checked -> Migrations.migrate(vertx, config));
    for (List<Step> stage : plan(config, Runtime.getRuntime().availableProcessors())) {
      deployed = deployed.compose(v -> gateway.deployTogether(stage));
    }
    return deployed
        .onSuccess(v -> ManagementVerticle.started(vertx))
        .onSuccess(v -> LOG.info("ready in {} ms: API on port {}, management on port {}",
            (System.nanoTime() - started) / 1_000_000, config.httpPort(), config.managementPort()))
        .map(gateway);
  }

  /**
   * The stages of the boot after the migration, in order: a stage starts when the one before is up, and the
   * verticles of one stage start together. Audit is up before anything that sends it events; Token and OTP only
   * answer bus messages, and nothing sends them any before HTTP listens, so they need not wait for each other;
   * HTTP listens only once every service consumes. (The management server is up before the migration.)
   */
  static List<List<Step>> plan(GatewayConfig config, int cores) {
    return List.of(
        List.of(new Step(AuditVerticle.class, 1)),
        List.of(new Step(TokenVerticle.class, cores), new Step(OtpVerticle.class, cores),
            new Step(PasswordVerticle.class, cores), new Step(LicenseHousekeepingVerticle.class, 1),
            new Step(SecurityWebhookVerticle.class, 1), new Step(HousekeepingVerticle.class, 1),
            new Step(AppChangeRelay.class, 1), new Step(LicenseChangeRelay.class, 1)),
        List.of(new Step(ApiVerticle.class, config.httpInstances())));
  }

  public GatewayConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  /**
   * Readiness answers 503 from now on, then everything else undeploys in reverse order of deployment (HTTP
   * draining, OTP, Token, then Audit flushing) and the management server last, so the kubelet hears "not ready"
   * and "alive" through the whole drain rather than a refused connection.
   */
  public Future<Void> stop() {
    ManagementVerticle.stopping(vertx);
    return undeployAll().compose(v -> {
      if (management == null) {
        return Future.succeededFuture();
      }
      String id = management;
      management = null;
      undeploying = "ManagementVerticle";
      return vertx.undeploy(id).otherwiseEmpty();
    }).onComplete(done -> undeploying = "Vert.x itself (its threads and clients)");
  }

  private Future<Void> undeployAll() {
    if (deployments.isEmpty()) {
      return Future.succeededFuture();
    }
    Deployed last = deployments.pop();
    undeploying = last.verticle() + (deployments.isEmpty() ? "" : ", then " + deployments.size() + " more");
    long started = System.nanoTime();
    return vertx.undeploy(last.id())
        .onComplete(done -> LOG.debug("undeployed {} in {} ms", last.verticle(),
            (System.nanoTime() - started) / 1_000_000))
        .recover(failure -> {
          LOG.warn("undeploy failed: {}", failure.getMessage());
          return Future.succeededFuture();
        })
        .compose(v -> undeployAll());
  }

  /**
   * Deploys the steps of one stage at the same time and succeeds when all are up. The ones that came up are
   * recorded in the plan's order, whatever order they finished in, so {@link #stop()} undeploys in reverse of it.
   */
  private Future<Void> deployTogether(List<Step> steps) {
    List<Future<String>> started = steps.stream()
        .map(step -> vertx.deployVerticle(step.verticle().getName(), new DeploymentOptions()
            .setConfig(config.json())
            .setInstances(step.instances())))
        .toList();
    return Future.join(started)
        .onComplete(done -> {
          for (int i = 0; i < steps.size(); i++) {
            if (!started.get(i).succeeded()) {
              continue;
            }
            if (steps.get(i).verticle() == ManagementVerticle.class) {
              management = started.get(i).result(); // undeployed last: readiness and liveness answer through the drain
            } else {
              deployments.push(new Deployed(started.get(i).result(), steps.get(i).verticle().getSimpleName()));
            }
          }
        })
        .mapEmpty();
  }

  record Step(Class<? extends VerticleBase> verticle, int instances) {
  }

  private record Deployed(String id, String verticle) {
  }

  /** The verticle a stop under way is waiting for (and how many are left after it): {@code nothing} when none. */
  public String undeploying() {
    return undeploying;
  }
}
