package dev.portcullis.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code report --dir results/<run>}: one table of every figure of the run, the ratios, and each target met or
 * not. Writes results.md and summary.json beside the scenario files and prints the markdown.
 */
final class Report {

  /** One row: throughput, latency, errors, and the server's CPU and memory over the measured window. */
  private record Row(String scenario, String tool, Double perSecond, String unit, Double p50, Double p99, Double p999,
      Long errors, JsonObject proc) {
  }

  private final Path dir;
  private final List<Row> rows = new ArrayList<>();
  private final JsonObject summary = new JsonObject();

  private Report(Path dir) {
    this.dir = dir;
  }

  static void main(Args args) throws IOException {
    Report report = new Report(Path.of(args.string("dir")));
    String markdown = report.build();
    Files.writeString(report.dir.resolve("results.md"), markdown);
    Files.writeString(report.dir.resolve("summary.json"), report.summary.encodePrettily());
    System.out.println(markdown);
  }

  private String build() throws IOException {
    JsonObject machine = read("machine");
    JsonObject sign = read("sign");
    JsonObject gateway = read("gateway");
    JsonObject keycloak = read("keycloak");
    JsonObject argon2 = read("argon2");

    if (sign != null && sign.containsKey("openssl_sign_per_s")) {
      rows.add(new Row("raw RS256 signing by OpenSSL (the gateway's signer), " + sign.getInteger("threads") + " threads",
          "Java loop", sign.getDouble("openssl_sign_per_s"), "signs/s", null, null, null, 0L, null));
    }
    if (sign != null) {
      rows.add(new Row("raw RS256 signing by the JDK, " + sign.getInteger("threads") + " threads (verify: "
          + sign.getLong("verify_per_s") + "/s)", "Java loop", sign.getDouble("sign_per_s"), "signs/s", null, null, null,
          0L, null));
    }
    if (argon2 != null) {
      rows.add(new Row("raw Argon2id checks (" + argon2.getString("parameters") + ", " + argon2.getString("impl")
          + "), " + argon2.getInteger("threads") + " threads", "Java loop", argon2.getDouble("checks_per_s"),
          "checks/s", null, null, null, 0L, null));
    }
    Double bare = wrk("bare Vert.x JSON endpoint", "bare");
    Double me = wrk("Portcullis GET /auth/me", "me");
    load("Portcullis GET /auth/me, closed loop (the maximum the 70% run is taken from)", "me-max", "me", "req/s");
    Double meRate = load("Portcullis GET /auth/me at 70% of its maximum, open loop", "me-rate", "me", "req/s");
    Double refresh = load("Portcullis POST /auth/refresh chains", "refresh", "refresh", "refreshes/s");
    Double otp = load("Portcullis OTP send + verify pairs", "otp", "otp-pair", "pairs/s");
    load("Portcullis OTP send + verify pairs, returning users (1,000 in turn)", "otp-returning", "otp-pair", "pairs/s");
    Double mix = load("Portcullis mix 70% me / 20% refresh / 10% OTP pairs", "mix", null, "req/s");
    Double passwordLogins = load("Portcullis challenge + POST /auth/login (password)", "password", "password-login",
        "logins/s");
    Double kcPassword = load("Keycloak password grant", "kc-password", "kc-password", "logins/s");
    load("Portcullis GET /auth/me, open loop, alone (password-me baseline)", "password-me-alone", "me", "req/s");
    load("Portcullis GET /auth/me, the same open loop while password logins fill the hashing pool", "password-me-busy",
        "me", "req/s");
    load("Portcullis password logins meanwhile (16 users)", "password-me-busy", "password-login", "logins/s");
    Double licenseVerify = wrk("Portcullis POST /licenses/verify (64 licences, activated devices)", "license-verify");
    Double kcRefresh = load("Keycloak refresh_token grant chains", "kc-refresh", "kc-refresh", "refreshes/s");
    wrk("Keycloak client_credentials grant", "kc-client-credentials");
    Double kcUserinfo = wrk("Keycloak userinfo", "kc-userinfo");

    StringBuilder md = new StringBuilder();
    md.append("## Figures of run ").append(machine == null ? "?" : machine.getString("run")).append("\n\n");
    md.append("| scenario | load | throughput | p50 ms | p99 ms | p99.9 ms | errors | server CPU (cores) | server RSS max (MB) | machine busy (cores) |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row row : rows) {
      md.append("| ").append(row.scenario()).append(" | ").append(row.tool()).append(" | ")
          .append(row.perSecond() == null ? "–" : fmt(row.perSecond(), 0) + " " + row.unit()).append(" | ")
          .append(fmt(row.p50(), 2)).append(" | ").append(fmt(row.p99(), 2)).append(" | ").append(fmt(row.p999(), 2))
          .append(" | ").append(row.errors() == null ? "–" : row.errors()).append(" | ")
          .append(procValue(row.proc(), "cpu_cores")).append(" | ").append(procValue(row.proc(), "rss_max_mb"))
          .append(" | ").append(procValue(row.proc(), "machine_busy_cores")).append(" |\n");
    }
    cpuSplit(md);
    Double pairedRatio = pairedWindows(md, "password-paired", "Password logins against raw Argon2id");
    Double floorRatio = pairedWindows(md, "password-floor",
        "Logins at a bare HTTP front to Argon2id (the floor: no store, no token, no audit) against raw Argon2id");
    gatewayMetrics(md);
    mixDetail(md);

    JsonObject rate = read("me-rate");
    if (rate != null && rate.containsKey("send_lag_ms")) {
      md.append("\nOpen loop (`me-rate`): the generator sent its requests late by p50 ")
          .append(rate.getJsonObject("send_lag_ms").getValue("p50")).append(" ms, p99 ")
          .append(rate.getJsonObject("send_lag_ms").getValue("p99")).append(" ms, max ")
          .append(rate.getJsonObject("send_lag_ms").getValue("max"))
          .append(" ms (its own delay, counted in the latencies above); answers per second: ")
          .append(rate.getJsonArray("per_second").stream().map(o -> String.valueOf(((JsonObject) o).getLong("requests")))
              .collect(java.util.stream.Collectors.joining(" ")))
          .append("; slowest answer per second (ms): ")
          .append(rate.getJsonArray("per_second").stream().map(o -> fmt(((JsonObject) o).getDouble("max_ms"), 0))
              .collect(java.util.stream.Collectors.joining(" ")))
          .append(".\n");
      JsonObject proc = rate.getJsonObject("server");
      JsonObject loops = proc == null ? null : proc.getJsonObject("server_event_loops");
      JsonObject generator = proc == null ? null : proc.getJsonObject("this_jvm");
      if (loops != null && generator != null) {
        md.append("Scheduler (`/proc/<pid>/task/*/schedstat`): the gateway's ").append(loops.getValue("threads"))
            .append(" event loops ran ").append(loops.getValue("running_cores")).append(" cores and were runnable, "
                + "waiting for a core, ").append(loops.getValue("waiting_for_a_core"))
            .append(" cores' worth of the time; the generator's threads ran ").append(generator.getValue("running_cores"))
            .append(" and waited ").append(generator.getValue("waiting_for_a_core")).append(".\n");
      }
    }
    Long gwReady = gateway == null ? null : gateway.getLong("start_to_ready_ms");
    Long kcReady = keycloak == null ? null : keycloak.getLong("start_to_ready_ms");
    md.append("\nStart to ready: Portcullis ").append(gwReady == null ? "–" : gwReady + " ms")
        .append(" from the java launch to the first 200 of /health/ready")
        .append(gateway == null || gateway.getValue("boot_ms_by_its_log") == null ? ""
            : " (of which " + gateway.getValue("boot_ms_by_its_log") + " ms from its config loaded to ready, by its log: Flyway on an empty database, verticles)")
        .append("; Keycloak ")
        .append(keycloak == null ? "–" : keycloak.getString("version") + " start-dev " + kcReady + " ms (fresh dev database; "
            + keycloak.getValue("started_in_s_by_its_log") + " s by its log)")
        .append(".\n");
    if (gateway != null) {
      md.append("Gateway log: ").append(gateway.getLong("blocked_thread_warnings")).append(" blocked-thread warnings, ")
          .append(gateway.getLong("error_lines")).append(" ERROR lines, ").append(gateway.getLong("warn_lines"))
          .append(" WARN lines; exit code ").append(gateway.getLong("exit_code")).append(" after SIGTERM.\n");
    }

    Double signRate = sign == null ? null : sign.getDouble("openssl_sign_per_s");
    Double jdkSignRate = sign == null ? null : sign.getDouble("sign_per_s");
    md.append("\n## Ratios\n\n| ratio | value | target |\n|---|---:|---|\n");
    // Issue 19's targets are of its raw RS256 signing, the JDK's (the gateway's signer when it was written). Against
    // OpenSSL's, the gateway's signer since, 0.35 of it leaves less per OTP pair than Postgres alone spends on one.
    ratio(md, "refresh / raw signing by the JDK (issue 19's baseline)", refresh, jdkSignRate, "≥ 0.55", 0.55);
    ratio(md, "OTP pairs / raw signing by the JDK (issue 19's baseline)", otp, jdkSignRate, "≥ 0.35", 0.35);
    ratio(md, "refresh / raw signing by OpenSSL (the gateway's signer since)", refresh, signRate, "–", null);
    ratio(md, "OTP pairs / raw signing by OpenSSL", otp, signRate, "–", null);
    ratio(md, "/auth/me / bare JSON", me, bare, "≥ 0.50", 0.50);
    ratio(md, "/auth/me / Keycloak userinfo", me, kcUserinfo, "≥ 3", 3.0);
    ratio(md, "/licenses/verify / bare JSON", licenseVerify, bare, "≥ 0.50", 0.50);
    ratio(md, "Portcullis refresh / Keycloak refresh", refresh, kcRefresh, "–", null);
    ratio(md, "password logins / raw Argon2id checks" + (pairedRatio == null ? "" : " (one window each)"), passwordLogins,
        argon2 == null ? null : argon2.getDouble("checks_per_s"), pairedRatio == null ? "≥ 0.90" : "–",
        pairedRatio == null ? 0.90 : null);
    ratio(md, "password logins / raw Argon2id checks, paired windows (median)", pairedRatio, 1.0, "≥ 0.90", 0.90);
    ratio(md, "bare HTTP front to Argon2id / raw Argon2id checks, paired windows (median; the floor)", floorRatio, 1.0,
        "–", null);
    ratio(md, "Portcullis password logins / Keycloak password grant", passwordLogins, kcPassword, "–", null);

    md.append("\n## Targets\n\n| target | measured | met |\n|---|---|---|\n");
    Double pgPerPair = perOperationMs("otp", "postgres", otp);
    target(md, "Postgres CPU per OTP pair (sign-ups) ≤ 1 ms", pgPerPair == null ? null : fmt(pgPerPair, 2) + " ms",
        pgPerPair == null ? null : pgPerPair <= 1.0);
    Double gatewayPerRefresh = perOperationMs("refresh", "server", refresh);
    Double jdkSignMs = sign == null ? null : 1000.0 / sign.getDouble("sign_per_s_per_core");
    target(md, "gateway CPU per refresh ≤ 1.3× the JDK's raw signature ("
            + (jdkSignMs == null ? "–" : fmt(jdkSignMs, 2) + " ms") + ")",
        gatewayPerRefresh == null ? null : fmt(gatewayPerRefresh, 2) + " ms",
        gatewayPerRefresh == null || jdkSignMs == null ? null : gatewayPerRefresh <= 1.3 * jdkSignMs);
    Double refreshP99 = p99("refresh", "refresh");
    target(md, "refresh p99 < 20 ms", refreshP99 == null ? null : fmt(refreshP99, 2) + " ms",
        refreshP99 == null ? null : refreshP99 < 20);
    Double meRateP99 = p99("me-rate", "me");
    target(md, "/auth/me p99 < 5 ms at 70% of its maximum (" + fmt(meRate, 0) + " req/s)",
        meRateP99 == null ? null : fmt(meRateP99, 2) + " ms", meRateP99 == null ? null : meRateP99 < 5);
    Double meAloneP99 = p99("password-me-alone", "me");
    Double meBusyP99 = p99("password-me-busy", "me");
    target(md, "/auth/me p99 unchanged while password logins fill the hashing pool (within 1 ms or 20% of it alone: "
            + (meAloneP99 == null ? "–" : fmt(meAloneP99, 2) + " ms") + ")",
        meBusyP99 == null ? null : fmt(meBusyP99, 2) + " ms",
        meBusyP99 == null || meAloneP99 == null ? null : meBusyP99 <= Math.max(meAloneP99 * 1.2, meAloneP99 + 1));
    target(md, "start to ready < 2 s", gwReady == null ? null : gwReady + " ms", gwReady == null ? null : gwReady < 2000);
    double rss = maxGatewayRss();
    target(md, "resident memory < 300 MB at full load", rss == 0 ? null : fmt(rss, 0) + " MB", rss == 0 ? null : rss < 300);
    Long blocked = gateway == null ? null : gateway.getLong("blocked_thread_warnings");
    target(md, "no blocked-thread warning", blocked == null ? null : String.valueOf(blocked), blocked == null ? null : blocked == 0);
    long errors = gatewayErrors();
    target(md, "no error during any run (every request and the gateway log)", String.valueOf(errors), errors == 0);

    JsonObject run = read("run");
    if (machine != null) {
      md.append("\nMachine: ").append(machine.getInteger("nproc")).append(" cores (").append(machine.getString("cpu"))
          .append("), ").append(machine.getString("memory")).append(" memory, ").append(machine.getString("java"))
          .append(", ").append(machine.getString("kernel")).append(", ").append(machine.getString("wrk"))
          .append("; load average at start ").append(machine.getString("load_average_at_start"))
          .append("; kernel.sched_autogroup_enabled ").append(machine.getString("sched_autogroup_enabled", "unknown"))
          .append(". Gateway commit ").append(machine.getString("commit")).append(", JVM options `")
          .append(machine.getString("gateway_java_opts")).append("`. Each scenario: ").append(machine.getInteger("warmup_s"))
          .append(" s warm-up (password logins ").append(machine.getInteger("password_warmup_s", machine.getInteger("warmup_s")))
          .append(" s), ").append(machine.getInteger("duration_s")).append(" s measured; load generator ")
          .append(machine.getInteger("connections")).append(" users, wrk ").append(machine.getInteger("wrk_threads"))
          .append(" thread × ").append(machine.getInteger("wrk_connections")).append(" connections")
          .append(run == null ? "" : "; whole run " + run.getLong("wall_s") + " s").append(".\n");
    }
    summary.put("ratios", new JsonObject()
        .put("refresh_over_signing", div(refresh, signRate))
        .put("otp_pairs_over_signing", div(otp, signRate))
        .put("refresh_over_jdk_signing", div(refresh, jdkSignRate))
        .put("otp_pairs_over_jdk_signing", div(otp, jdkSignRate))
        .put("me_over_bare", div(me, bare))
        .put("me_over_keycloak_userinfo", div(me, kcUserinfo))
        .put("refresh_over_keycloak_refresh", div(refresh, kcRefresh)))
        .put("mix_req_per_s", mix)
        .put("gateway_rss_max_mb", rss)
        .put("gateway_errors", errors)
        .put("gateway_start_to_ready_ms", gwReady)
        .put("keycloak_start_to_ready_ms", kcReady);
    return md.toString();
  }

  private Double wrk(String scenario, String name) throws IOException {
    JsonObject result = read(name);
    if (result == null) {
      return null;
    }
    double seconds = result.getLong("duration_us") / 1e6;
    double perSecond = result.getLong("requests") / seconds;
    JsonObject latency = result.getJsonObject("latency_us");
    JsonObject errors = result.getJsonObject("errors");
    long errorCount = errors.fieldNames().stream().mapToLong(errors::getLong).sum();
    rows.add(new Row(scenario, "wrk", perSecond, "req/s", latency.getLong("p50") / 1000.0, latency.getLong("p99") / 1000.0,
        latency.getLong("p999") / 1000.0, errorCount, read(name + ".proc")));
    summary.put(name, new JsonObject().put("per_s", perSecond).put("errors", errorCount).put("latency_us", latency));
    return perSecond;
  }

  private Double load(String scenario, String name, String op, String unit) throws IOException {
    JsonObject result = read(name);
    if (result == null) {
      return null;
    }
    JsonObject ops = result.getJsonObject("ops", new JsonObject());
    JsonObject main = op == null ? null : ops.getJsonObject(op);
    Double perSecond = op == null ? result.getDouble("requests_per_s") : main == null ? null : main.getDouble("per_s");
    String tool = "Java, " + result.getInteger("connections") + (result.containsKey("rate")
        ? " connections at " + fmt(result.getDouble("rate"), 0) + "/s" : " users");
    rows.add(new Row(scenario, tool, perSecond, unit, main == null ? null : main.getDouble("p50_ms"),
        main == null ? null : main.getDouble("p99_ms"), main == null ? null : main.getDouble("p999_ms"),
        result.getLong("errors_total"), result.getJsonObject("server")));
    summary.put(name, result);
    return perSecond;
  }

  /**
   * The alternating windows of a paired scenario ({@code password-paired}, {@code password-floor}) and the median of
   * their ratios, or null without them.
   */
  private Double pairedWindows(StringBuilder md, String name, String title) throws IOException {
    JsonObject paired = read(name);
    JsonArray rounds = paired == null ? null : paired.getJsonArray("rounds");
    if (rounds == null || rounds.isEmpty()) {
      return null;
    }
    md.append("\n").append(title).append(" in alternating windows (`").append(name).append("`, ")
        .append(rounds.size()).append(" rounds; checks/s, logins/s; each ratio is to the mean of the raw windows ")
        .append("before and after it): median ").append(fmt(paired.getDouble("median_ratio"), 3)).append(", from ")
        .append(fmt(paired.getDouble("min_ratio"), 3)).append(" to ").append(fmt(paired.getDouble("max_ratio"), 3))
        .append(".\n\n| round | raw before | logins | raw after | ratio | server CPU (cores) | machine busy (cores) |\n")
        .append("|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < rounds.size(); i++) {
      JsonObject round = rounds.getJsonObject(i);
      md.append("| ").append(i + 1).append(" | ").append(fmt(round.getDouble("raw_before_per_s"), 1)).append(" | ")
          .append(fmt(round.getDouble("logins_per_s"), 1)).append(" | ").append(fmt(round.getDouble("raw_after_per_s"), 1))
          .append(" | ").append(fmt(round.getDouble("ratio"), 3)).append(" | ")
          .append(procValue(round.getJsonObject("server"), "cpu_cores")).append(" | ")
          .append(procValue(round.getJsonObject("server"), "machine_busy_cores")).append(" |\n");
    }
    return paired.getDouble("median_ratio");
  }

  /** Where the machine's cores went in each scenario: the server, the load generator, Redis, Postgres, the rest. */
  private void cpuSplit(StringBuilder md) {
    String[] groups = {"server", "load_generator", "redis", "postgres", "postgres_autovacuum", "postgres_background",
        "other", "steal", "kernel_and_unattributed"};
    md.append("\nWhere the cores went over each measured window (cores; \"other\" is work on the machine outside this ")
        .append("run, \"steal\" time the hypervisor gave this VM's cores to other guests, \"kernel\" mostly loopback networking):\n\n")
        .append("| scenario | server | load generator | Redis | Postgres backends | Postgres autovacuum | Postgres checkpointer, WAL writer | other | steal | kernel |\n")
        .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row row : rows) {
      JsonObject split = row.proc() == null ? null : row.proc().getJsonObject("cpu_cores_by_process");
      if (split == null) {
        continue;
      }
      md.append("| ").append(row.scenario()).append(" |");
      for (String group : groups) {
        md.append(' ').append(fmt(split.getDouble(group, 0.0), 2)).append(" |");
      }
      md.append('\n');
    }
  }

  /** The gateway's own timers over each scenario (warm-up included): where a request's time goes inside it. */
  private void gatewayMetrics(StringBuilder md) throws IOException {
    StringBuilder rowsMd = new StringBuilder();
    for (String name : List.of("me", "me-max", "me-rate", "refresh", "otp", "otp-returning", "mix", "license-verify")) {
      JsonObject m = read(name + ".gateway-metrics");
      if (m == null) {
        continue;
      }
      List<String> routes = new ArrayList<>();
      for (String key : m.fieldNames()) {
        if (key.startsWith("vertx_http_server_response_time_ms /auth/")
            || key.startsWith("vertx_http_server_response_time_ms /licenses/")) {
          routes.add(key.substring("vertx_http_server_response_time_ms ".length()) + " "
              + fmt(m.getJsonObject(key).getDouble("mean"), 2));
        }
      }
      routes.sort(null);
      rowsMd.append("| ").append(name).append(" | ").append(String.join(", ", routes)).append(" | ")
          .append(mean(m, "portcullis_token_signing_ms", 2)).append(" | ").append(mean(m, "portcullis_audit_lag_ms", 2))
          .append(" | ").append(mean(m, "portcullis_audit_commit_ms", 2)).append(" | ")
          .append(mean(m, "portcullis_audit_batch_size", 1)).append(" |\n");
    }
    if (rowsMd.length() > 0) {
      md.append("\nInside the gateway, by its own metrics (means over the scenario, warm-up included; ms):\n\n")
          .append("| scenario | server time per request, by route | signing one token | audit lag (event to commit) | audit commit | audit batch (events) |\n")
          .append("|---|---|---:|---:|---:|---:|\n").append(rowsMd);
    }
  }

  private static String mean(JsonObject metrics, String key, int decimals) {
    JsonObject m = metrics.getJsonObject(key);
    return m == null ? "–" : fmt(m.getDouble("mean"), decimals);
  }

  private void mixDetail(StringBuilder md) throws IOException {
    for (String name : List.of("otp", "otp-returning", "mix")) {
      JsonObject result = read(name);
      if (result == null) {
        continue;
      }
      md.append("\n").append(name.equals("mix") ? "Mix" : name.equals("otp") ? "OTP pairs" : "OTP pairs of returning users")
          .append(", per request: ");
      JsonObject ops = result.getJsonObject("ops");
      List<String> parts = new ArrayList<>();
      for (String op : ops.fieldNames()) {
        JsonObject o = ops.getJsonObject(op);
        parts.add(String.format(Locale.ROOT, "%s %s/s p50 %s p99 %s p99.9 %s ms", op, fmt(o.getDouble("per_s"), 0),
            fmt(o.getDouble("p50_ms"), 2), fmt(o.getDouble("p99_ms"), 2), fmt(o.getDouble("p999_ms"), 2)));
      }
      md.append(String.join("; ", parts)).append(".\n");
      JsonObject errors = result.getJsonObject("errors");
      if (!errors.isEmpty()) {
        md.append("Errors: ").append(errors.encode()).append("\n");
      }
    }
  }

  private Double p99(String name, String op) throws IOException {
    JsonObject result = read(name);
    if (result == null || !result.getJsonObject("ops", new JsonObject()).containsKey(op)) {
      return null;
    }
    return result.getJsonObject("ops").getJsonObject(op).getDouble("p99_ms");
  }

  private double maxGatewayRss() throws IOException {
    double max = 0;
    for (String name : List.of("me.proc", "me-max", "me-rate", "refresh", "otp", "otp-returning", "mix",
        "license-verify.proc")) {
      JsonObject result = read(name);
      JsonObject proc = result == null ? null : name.endsWith(".proc") ? result : result.getJsonObject("server");
      if (proc != null) {
        max = Math.max(max, proc.getDouble("rss_max_mb", 0.0));
      }
    }
    return max;
  }

  private long gatewayErrors() throws IOException {
    long errors = 0;
    for (String name : List.of("me-sessions", "me-max", "me-rate", "refresh", "otp", "otp-returning", "mix")) {
      JsonObject result = read(name);
      errors += result == null ? 0 : result.getLong("errors_total", 0L);
    }
    for (String name : List.of("me", "license-verify")) {
      JsonObject wrk = read(name);
      if (wrk != null) {
        JsonObject e = wrk.getJsonObject("errors");
        errors += e.fieldNames().stream().mapToLong(e::getLong).sum();
      }
    }
    JsonObject gateway = read("gateway");
    if (gateway != null) {
      errors += gateway.getLong("error_lines");
    }
    return errors;
  }

  private void ratio(StringBuilder md, String name, Double a, Double b, String target, Double min) {
    Double value = div(a, b);
    md.append("| ").append(name).append(" | ").append(fmt(value, 2)).append(" | ").append(target)
        .append(min == null || value == null ? "" : value >= min ? " ✅" : " ❌").append(" |\n");
  }

  /** A process group's CPU (ms of a core) per operation of a scenario's measured window, or null. */
  private Double perOperationMs(String scenario, String group, Double perSecond) {
    JsonObject result = summary.getJsonObject(scenario);
    JsonObject server = result == null ? null : result.getJsonObject("server");
    JsonObject split = server == null ? null : server.getJsonObject("cpu_cores_by_process");
    if (split == null || !split.containsKey(group) || perSecond == null || perSecond == 0) {
      return null;
    }
    return split.getDouble(group) / perSecond * 1000.0;
  }

  private static void target(StringBuilder md, String target, String measured, Boolean met) {
    md.append("| ").append(target).append(" | ").append(measured == null ? "not measured" : measured).append(" | ")
        .append(met == null ? "–" : met ? "✅" : "❌").append(" |\n");
  }

  private static Double div(Double a, Double b) {
    return a == null || b == null || b == 0 ? null : Math.round(a / b * 1000.0) / 1000.0;
  }

  private static String procValue(JsonObject proc, String key) {
    return proc == null || !proc.containsKey(key) ? "–" : fmt(proc.getDouble(key), key.equals("rss_max_mb") ? 0 : 2);
  }

  private static String fmt(Double value, int decimals) {
    return value == null ? "–" : String.format(Locale.ROOT, "%,." + decimals + "f", value);
  }

  private JsonObject read(String name) throws IOException {
    Path file = dir.resolve(name + ".json");
    return Files.exists(file) && Files.size(file) > 0 ? new JsonObject(Files.readString(file)) : null;
  }
}
