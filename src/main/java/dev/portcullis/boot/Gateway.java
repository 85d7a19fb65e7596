package dev.portcullis.boot;

import dev.portcullis.audit.AuditVerticle;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.http.HttpVerticle;
import dev.portcullis.management.ManagementVerticle;
import dev.portcullis.otp.OtpVerticle;
import dev.portcullis.token.TokenVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: migrates the schema, then deploys Audit, Token and OTP, then the HTTP verticles, then
 * the management server. {@link #stop()} undeploys in reverse, so in-flight requests finish and the audit
 * verticle flushes last.
 */
public final class Gateway {

  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Vertx vertx;
  private final GatewayConfig config;
  private final Deque<String> deployments = new ArrayDeque<>();

  private Gateway(Vertx vertx, GatewayConfig config) {
    this.vertx = vertx;
    this.config = config;
  }

  public static Future<Gateway> start(Vertx vertx, GatewayConfig config) {
    Gateway gateway = new Gateway(vertx, config);
    long started = System.nanoTime();
    int cores = Runtime.getRuntime().availableProcessors();
    return Migrations.migrate(vertx, config)
        .compose(v -> gateway.deploy(AuditVerticle.class.getName(), 1))
        .compose(v -> gateway.deploy(TokenVerticle.class.getName(), cores))
        .compose(v -> gateway.deploy(OtpVerticle.class.getName(), cores))
        .compose(v -> gateway.deploy(HttpVerticle.class.getName(), config.httpInstances()))
        .compose(v -> gateway.deploy(ManagementVerticle.class.getName(), 1))
        .onSuccess(v -> LOG.info("ready in {} ms: API on port {}, management on port {}",
            (System.nanoTime() - started) / 1_000_000, config.httpPort(), config.managementPort()))
        .map(gateway);
  }

  public GatewayConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Undeploys in reverse order of deployment: management, HTTP (draining), OTP, Token, then Audit (flushing). */
  public Future<Void> stop() {
    if (deployments.isEmpty()) {
      return Future.succeededFuture();
    }
    String last = deployments.pop();
    long started = System.nanoTime();
    return vertx.undeploy(last)
        .onComplete(done -> LOG.debug("undeployed {} in {} ms", last, (System.nanoTime() - started) / 1_000_000))
        .recover(failure -> {
          LOG.warn("undeploy failed: {}", failure.getMessage());
          return Future.succeededFuture();
        })
        .compose(v -> stop());
  }

  private Future<Void> deploy(String verticle, int instances) {
    DeploymentOptions options = new DeploymentOptions()
        .setConfig(config.json())
        .setInstances(instances);
    return vertx.deployVerticle(verticle, options)
        .onSuccess(deployments::push)
        .mapEmpty();
  }
}
