package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The load generator. Scenarios against Portcullis: {@code sessions} (log users in, write their access tokens
 * for wrk), {@code refresh} (chains), {@code otp} (send + verify pairs), {@code mix} (70% me, 20% refresh,
 * 10% OTP pairs), {@code me} (closed loop), {@code me-rate} (open loop at {@code --rate}), {@code password}
 * (challenge + password login), {@code password-paired} and, against the bare hash server,
 * {@code password-floor-paired} (logins and raw checks in alternating windows: {@link PairedPassword}). Against
 * Keycloak: {@code kc-sessions}, {@code kc-refresh}, {@code kc-password} (its password grant),
 * {@code kc-client-credentials}. Writes one JSON result.
 */
final class LoadMain {

  private LoadMain() {
  }

  static void main(Args args) throws Exception {
    String scenario = args.string("scenario");
    int connections = args.integer("connections", 16);
    int warmup = args.integer("warmup", 5);
    int duration = args.integer("duration", 20);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(args.integer("threads", 1)));
    // every loop is bounded: whatever happens, this process ends
    long limitS = warmup + duration + args.integer("setup-limit", 120) + 30;
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(TimeUnit.SECONDS.toMillis(limitS));
        System.err.println("load generator overran its " + limitS + " s limit");
        System.exit(3);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    Stats stats = new Stats();
    int pid = args.integer("pid", 0);
    if (pid > 0) {
      stats.watch(new ProcSampler(pid));
    }
    Http http = new Http(vertx, args.string("target"), connections);
    OtpReceiver receiver = scenario.startsWith("kc-") ? null : new OtpReceiver(vertx, args.string("webhook-secret"));
    Future<Void> listening = receiver == null ? Future.succeededFuture() : receiver.listen(args.integer("receiver-port", 18099));
    JsonObject result = new JsonObject().put("scenario", scenario).put("target", args.string("target"))
        .put("connections", connections).put("warmup_s", warmup).put("duration_s", duration);
    int exit = 0;
    try {
      Future<JsonObject> run = listening.compose(v -> scenario.startsWith("kc-")
          ? keycloak(vertx, stats, http, scenario, args, connections, warmup, duration)
          : portcullis(vertx, stats, http, receiver, scenario, args, connections, warmup, duration));
      JsonObject extra = run.await(limitS, TimeUnit.SECONDS);
      result.mergeIn(extra);
    } catch (Exception e) {
      result.put("failed", String.valueOf(e.getMessage()));
      exit = 1;
    }
    result.mergeIn(stats.toJson());
    if (receiver != null) {
      result.put("webhook", receiver.toJson());
    }
    String out = args.string("out", null);
    if (out != null) {
      Files.writeString(Path.of(out), result.encodePrettily());
    }
    System.out.println(summary(result));
    vertx.close().await(10, TimeUnit.SECONDS);
    System.exit(exit);
  }

  private static Future<JsonObject> portcullis(Vertx vertx, Stats stats, Http http, OtpReceiver receiver, String scenario,
      Args args, int connections, int warmup, int duration) {
    Portcullis gateway = new Portcullis(http, receiver, stats, args.string("app-id"), args.string("app-secret"),
        args.string("run-tag", Long.toString(System.currentTimeMillis(), 36)));
    return switch (scenario) {
      case "sessions" -> sessions(args.integer("sessions", 64), connections, gateway::otpPair)
          .compose(sessions -> writeTokens(vertx, args.string("tokens-out"), sessions));
      case "otp" -> ClosedLoop.run(vertx, stats, users(connections, () -> gateway::otpPair), warmup, duration)
          .map(new JsonObject());
      case "otp-returning" -> {
        int pool = args.integer("identities", 1_000);
        yield ClosedLoop.run(vertx, stats, users(connections, () -> () -> gateway.returningOtpPair(pool)), warmup,
            duration).map(new JsonObject().put("identities", pool));
      }
      case "refresh" -> sessions(connections, connections, gateway::otpPair).compose(sessions ->
          ClosedLoop.run(vertx, stats, users(sessions, session -> chain(session, gateway)), warmup, duration)
              .map(new JsonObject().put("sessions", sessions.size())));
      case "me" -> sessions(connections, connections, gateway::otpPair).compose(sessions ->
          ClosedLoop.run(vertx, stats, users(sessions, session -> () -> gateway.me(session)), warmup, duration)
              .map(new JsonObject()));
      case "me-rate" -> {
        double rate = args.decimal("rate", 1000);
        yield sessions(args.integer("sessions", 64), connections, gateway::otpPair).compose(sessions -> {
          AtomicInteger next = new AtomicInteger();
          // this JVM's own JIT warms up in a closed loop first, so its slowness is not counted as the server's
          List<Supplier<Future<?>>> warmers = users(connections, () -> () -> gateway.me(sessions.get(next.getAndIncrement() % sessions.size())));
          return ClosedLoop.unrecorded(vertx, warmers, warmup).compose(v -> OpenLoop.run(vertx, stats, rate, warmup, duration,
                  intended -> gateway.me(sessions.get(next.getAndIncrement() % sessions.size()).accessToken, intended)))
              .map(new JsonObject().put("rate", rate));
        });
      }
      case "mix" -> sessions(connections, connections, gateway::otpPair).compose(sessions -> {
        Random seeds = new Random(args.integer("seed", 7));
        return ClosedLoop.run(vertx, stats, users(sessions, session -> mixUser(session, gateway, new Random(seeds.nextLong()))),
            warmup, duration).map(new JsonObject().put("mix", "70% me, 20% refresh, 10% otp pairs"));
      });
      case "password" -> passwordUsers(vertx, args.integer("users", 16), args.string("users-file", null), gateway)
          .compose(emails -> {
        AtomicInteger next = new AtomicInteger();
        return ClosedLoop.run(vertx, stats, users(connections,
                () -> () -> gateway.passwordLogin(emails.get(next.getAndIncrement() % emails.size()))), warmup, duration)
            .map(new JsonObject().put("users", emails.size()));
      });
      case "password-paired" -> passwordUsers(vertx, args.integer("users", 16), args.string("users-file", null), gateway)
          .compose(emails -> paired(vertx, gateway, emails, args, connections).run(warmup, args.integer("rounds", 8),
              args.integer("window", 8)));
      case "password-floor-paired" -> {
        // against the bare hash server (BareHashServer): no users to sign up, any email is checked alike
        List<String> emails = new ArrayList<>();
        for (int i = 0; i < args.integer("users", 16); i++) {
          emails.add("floor-" + i + "@bench.test");
        }
        yield paired(vertx, gateway, emails, args, connections).run(warmup, args.integer("rounds", 8),
            args.integer("window", 8));
      }
      case "password-me" -> {
        // /auth/me at a fixed rate while password logins in a closed loop keep the hashing pool full
        double rate = args.decimal("rate", 1000);
        yield sessions(args.integer("sessions", 64), connections, gateway::otpPair).compose(sessions ->
            passwordUsers(args.integer("users", 16), gateway).compose(emails -> {
              AtomicInteger nextUser = new AtomicInteger();
              AtomicInteger nextSession = new AtomicInteger();
              Future<Void> logins = ClosedLoop.run(vertx, stats, users(emails.size(),
                  () -> () -> gateway.passwordLogin(emails.get(nextUser.getAndIncrement() % emails.size()))), warmup, duration);
              Future<Void> me = OpenLoop.run(vertx, stats, rate, warmup, duration,
                  intended -> gateway.me(sessions.get(nextSession.getAndIncrement() % sessions.size()).accessToken, intended));
              return Future.all(logins, me).map(new JsonObject().put("rate", rate).put("users", emails.size()));
            }));
      }
      default -> Future.failedFuture("unknown scenario " + scenario);
    };
  }

  /** Paired windows of raw checks and logins; the logins by wrk with {@code --client wrk}, else by this JVM. */
  private static PairedPassword paired(Vertx vertx, Portcullis gateway, List<String> emails, Args args,
      int connections) {
    WrkLogins wrk = null;
    if ("wrk".equals(args.string("client", "java"))) {
      try {
        wrk = new WrkLogins(args.string("target"), Path.of(args.string("lua-dir")), emails, connections,
            args.string("app-id"), args.string("app-secret"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new PairedPassword(vertx, gateway, emails, args.integer("pid", 0), connections, wrk);
  }

  /**
   * The password users of {@code usersFile} (one email a line) when it exists; else {@code count} new ones, written
   * to it when named, so that short runs one after another log the same users in without signing up each time.
   */
  private static Future<List<String>> passwordUsers(Vertx vertx, int count, String usersFile, Portcullis gateway) {
    if (usersFile == null) {
      return passwordUsers(count, gateway);
    }
    return vertx.fileSystem().exists(usersFile).compose(exists -> exists
        ? vertx.fileSystem().readFile(usersFile).map(text -> List.of(text.toString().strip().split("\n")))
        : passwordUsers(count, gateway).compose(emails -> vertx.fileSystem()
            .writeFile(usersFile, Buffer.buffer(String.join("\n", emails))).map(emails)));
  }

  /** {@code count} password users, made one after another (signups are not what this scenario measures). */
  private static Future<List<String>> passwordUsers(int count, Portcullis gateway) {
    List<String> emails = new ArrayList<>();
    Future<Void> made = Future.succeededFuture();
    for (int i = 0; i < count; i++) {
      made = made.compose(v -> gateway.passwordUser().map(email -> {
        emails.add(email);
        return null;
      }));
    }
    return made.map(v -> emails);
  }

  private static Future<JsonObject> keycloak(Vertx vertx, Stats stats, Http http, String scenario, Args args,
      int connections, int warmup, int duration) {
    Keycloak kc = new Keycloak(http, stats, args.string("realm"), args.string("client-id"), args.string("client-secret"),
        args.string("username"), args.string("password"));
    return switch (scenario) {
      case "kc-sessions" -> sessions(args.integer("sessions", 64), Math.min(connections, 4), kc::login)
          .compose(sessions -> writeTokens(vertx, args.string("tokens-out"), sessions));
      case "kc-refresh" -> sessions(connections, Math.min(connections, 4), kc::login).compose(sessions ->
          ClosedLoop.run(vertx, stats, users(sessions, session -> kcChain(session, kc)), warmup, duration)
              .map(new JsonObject().put("sessions", sessions.size())));
      case "kc-password" -> ClosedLoop.run(vertx, stats, users(connections, () -> () -> kc.login()), warmup, duration)
          .map(new JsonObject());
      case "kc-client-credentials" -> ClosedLoop.run(vertx, stats, users(connections, () -> kc::clientCredentials),
          warmup, duration).map(new JsonObject());
      default -> Future.failedFuture("unknown scenario " + scenario);
    };
  }

  /** A refresh chain; after a failure the user logs in again, since the chain's state is then unknown. */
  private static Supplier<Future<?>> chain(Session start, Portcullis gateway) {
    Session[] current = {start};
    return () -> {
      if (current[0] == null) {
        return gateway.otpPair().onSuccess(session -> current[0] = session);
      }
      return gateway.refresh(current[0]).onFailure(failure -> current[0] = null);
    };
  }

  private static Supplier<Future<?>> kcChain(Session start, Keycloak kc) {
    Session[] current = {start};
    return () -> {
      if (current[0] == null) {
        return kc.login().onSuccess(session -> current[0] = session);
      }
      return kc.refresh(current[0]).onFailure(failure -> current[0] = null);
    };
  }

  /** 70% me, 20% refresh, 10% OTP pair (after which the user goes on with the new session). */
  private static Supplier<Future<?>> mixUser(Session start, Portcullis gateway, Random random) {
    Session[] current = {start};
    return () -> {
      int roll = random.nextInt(100);
      if (current[0] == null || roll >= 90) {
        return gateway.otpPair().onSuccess(session -> current[0] = session);
      }
      if (roll < 70) {
        return gateway.me(current[0]);
      }
      return gateway.refresh(current[0]).onFailure(failure -> current[0] = null);
    };
  }

  private static List<Supplier<Future<?>>> users(int count, Supplier<Supplier<Future<?>>> factory) {
    List<Supplier<Future<?>>> users = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      users.add(factory.get());
    }
    return users;
  }

  private static List<Supplier<Future<?>>> users(List<Session> sessions,
      java.util.function.Function<Session, Supplier<Future<?>>> factory) {
    return sessions.stream().map(factory).collect(Collectors.toList());
  }

  /** Logs {@code count} sessions in, {@code concurrency} at a time; fails if any login fails. */
  private static Future<List<Session>> sessions(int count, int concurrency, Supplier<Future<Session>> login) {
    List<Session> sessions = new ArrayList<>();
    AtomicInteger started = new AtomicInteger();
    List<Future<Void>> workers = new ArrayList<>();
    for (int w = 0; w < Math.min(count, concurrency); w++) {
      Promise<Void> worker = Promise.promise();
      nextLogin(count, started, login, sessions, worker);
      workers.add(worker.future());
    }
    return Future.all(workers).map(v -> sessions);
  }

  private static void nextLogin(int count, AtomicInteger started, Supplier<Future<Session>> login,
      List<Session> sessions, Promise<Void> worker) {
    if (started.getAndIncrement() >= count) {
      worker.tryComplete();
      return;
    }
    login.get()
        .onSuccess(session -> {
          synchronized (sessions) {
            sessions.add(session);
          }
          nextLogin(count, started, login, sessions, worker);
        })
        .onFailure(failure -> worker.tryFail("setup: a login failed: " + failure.getMessage()));
  }

  private static Future<JsonObject> writeTokens(Vertx vertx, String file, List<Session> sessions) {
    String lines = sessions.stream().map(s -> s.accessToken).collect(Collectors.joining("\n", "", "\n"));
    return vertx.fileSystem().writeFile(file, Buffer.buffer(lines))
        .map(new JsonObject().put("sessions", sessions.size()).put("tokens_file", file));
  }

  private static String summary(JsonObject result) {
    StringBuilder line = new StringBuilder(result.getString("scenario"))
        .append(": ").append(result.getValue("requests_per_s")).append(" req/s");
    JsonObject ops = result.getJsonObject("ops", new JsonObject());
    for (String op : ops.fieldNames()) {
      JsonObject o = ops.getJsonObject(op);
      line.append(String.format(" | %s %s/s p50 %s p99 %s p99.9 %s ms", op, o.getValue("per_s"), o.getValue("p50_ms"),
          o.getValue("p99_ms"), o.getValue("p999_ms")));
    }
    line.append(" | errors ").append(result.getValue("errors_total"));
    if (result.containsKey("failed")) {
      line.append(" | FAILED: ").append(result.getString("failed"));
    }
    return line.toString();
  }
}
