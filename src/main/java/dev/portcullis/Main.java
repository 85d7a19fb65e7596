package dev.portcullis;

import dev.portcullis.audit.AuditCli;
import dev.portcullis.boot.ConfigLoader;
import dev.portcullis.boot.DevMode;
import dev.portcullis.boot.Gateway;
import dev.portcullis.boot.GatewayVertx;
import dev.portcullis.boot.LogFormat;
import dev.portcullis.core.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * {@code java -jar portcullis.jar} runs in production mode; {@code java -jar portcullis.jar start-dev} runs in
 * dev mode (embedded Postgres and Redis when none answer, generated keys, the log OTP channel).
 */
public final class Main {

  static {
    LogFormat.textUnlessKnown(); // before the first logger below starts logback
  }

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);
  /**
   * The whole stop's budget: Kubernetes kills the pod 30 s after SIGTERM, 5 s of which its preStop hook sleeps, so a
   * stop that waits on a hung Postgres or Redis gives up here, logged, rather than being killed mid-flush.
   */
  private static final long STOP_BUDGET_MS = 22_000;
  /**
   * Set by the first SIGTERM or SIGINT: a second one (Ctrl-C twice, a supervisor signalling the process group) ran
   * a second stop beside the first, whose closing of Vert.x cut the drain short (h65).
   */
  private static final AtomicBoolean STOPPING = new AtomicBoolean();

  private Main() {
  }

  public static void main(String[] args) {
    if (args.length > 0 && AuditCli.COMMANDS.contains(args[0])) {
      System.exit(new AuditCli(new JsonObject(), System.out, System.err, Clock.systemUTC()).run(args));
    }
    boolean dev = args.length > 0 && args[0].equals("start-dev");
    if (args.length > 0 && !dev) {
      LOG.error("usage: java -jar portcullis.jar [start-dev | audit-export | audit-verify | audit-detach "
          + "| audit-export-key | audit-ledger-seal]");
      System.exit(2);
    }
    Vertx vertx = GatewayVertx.create();
    // Vert.x threads keep the JVM alive; the process ends through exit() below.
    boot(vertx, dev)
        .onSuccess(gateway -> {
          Signal.handle(new Signal("TERM"), signal -> stop(vertx, gateway));
          Signal.handle(new Signal("INT"), signal -> stop(vertx, gateway));
        })
        .onFailure(failure -> {
          LOG.error("Portcullis did not start: {}", failure.getMessage());
          vertx.close().onComplete(done -> exit(1));
        });
  }

  /**
   * SIGTERM: stop accepting, drain in-flight requests, flush the audit log, exit 0. Runs on the JVM's
   * signal thread, never an event loop, so it may wait.
   */
  private static void stop(Vertx vertx, Gateway gateway) {
    if (!STOPPING.compareAndSet(false, true)) {
      LOG.info("already stopping: waiting for {}", gateway.undeploying());
      return;
    }
    LOG.info("stopping: draining requests and flushing the audit log");
    int status = 0;
    long deadline = System.currentTimeMillis() + STOP_BUDGET_MS;
    try {
      gateway.stop().await(STOP_BUDGET_MS, TimeUnit.MILLISECONDS);
      vertx.close().await(Math.max(1_000, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
      LOG.info("stopped");
    } catch (Exception e) {
      LOG.error("did not stop cleanly within {} ms ({}): still stopping {}", STOP_BUDGET_MS, e.toString(),
          gateway.undeploying());
      status = 1;
    }
    System.exit(status);
  }

  /** Exits from a plain thread: shutdown hooks may wait for the Vert.x thread this is called on. */
  private static void exit(int status) {
    new Thread(() -> System.exit(status), "portcullis-exit").start();
  }

  private static Future<Gateway> boot(Vertx vertx, boolean dev) {
    return ConfigLoader.loadRaw(vertx, new JsonObject(), true)
        .compose(raw -> dev ? DevMode.prepare(vertx, raw) : Future.succeededFuture(raw))
        .map(GatewayConfig::from)
        .onSuccess(LogFormat::apply)
        .compose(config -> Gateway.start(vertx, config));
  }
}
