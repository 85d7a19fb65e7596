package dev.portcullis.chaos;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The chaos suite's client, one subcommand per job (chaos/run.sh drives it):
 * <pre>
 *   app          --base URL --admin KEY --slug S [--grace N] --out app.json
 *   load         --base URL --app app.json --ledger L --receiver-port P --seconds S --users N --think MS --tag T
 *   single-use   --a URL --b URL --app app.json --app-nograce app.json --admin KEY --ledger L --receiver-port P
 *   spike        --base URL --app app.json --ledger L --receiver-port P --rps R --seconds S
 *   recheck-codes --base URL --app app.json --ledger L [--before EPOCH_MS] --out L2
 *   check        --base URL --admin KEY --jdbc URL --ledger L[,L2...] [--fault-start MS --fault-end MS --recovery-ms MS]
 * </pre>
 * Each prints one JSON result line; a failed experiment or check exits 1.
 */
public final class Chaos {

  private Chaos() {
  }

  public static void main(String[] argv) throws Exception {
    String command = argv[0];
    Map<String, String> args = new HashMap<>();
    for (int i = 1; i + 1 < argv.length; i += 2) {
      args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    }
    JsonObject result = switch (command) {
      case "app" -> app(args);
      case "load" -> load(args);
      case "single-use" -> singleUse(args);
      case "spike" -> spike(args);
      case "recheck-codes" -> recheckCodes(args);
      case "check" -> check(args);
      default -> throw new IllegalArgumentException("unknown command " + command);
    };
    System.out.println(result.encode());
    System.exit(result.getBoolean("passed", true) ? 0 : 1);
  }

  private static JsonObject app(Map<String, String> args) throws Exception {
    JsonObject settings = new JsonObject().put("otp_resend_cooldown", 30).put("otp_max_sends_per_hour", 1000);
    if (args.containsKey("grace")) {
      settings.put("refresh_reuse_grace_seconds", Integer.parseInt(args.get("grace")));
    }
    JsonObject body = new JsonObject().put("name", "Chaos " + args.get("slug")).put("slug", args.get("slug")).put("settings", settings);
    try (Ledger ledger = new Ledger(Path.of(args.get("out") + ".ledger"))) {
      Client admin = new Client(args.get("base"), "lb", new JsonObject(), ledger, "setup", Duration.ofSeconds(10));
      Client.Answer created = admin.call("app", "POST", "/v1/apps", body, args.get("admin"), null);
      if (created.status() != 201) {
        throw new IllegalStateException("app not created: " + created.status() + " " + created.body());
      }
      Files.writeString(Path.of(args.get("out")), created.body().encode());
      return new JsonObject().put("app_id", created.body().getString("app_id"));
    }
  }

  private static Client client(Map<String, String> args, String baseKey, String name, Ledger ledger) throws Exception {
    JsonObject app = new JsonObject(Files.readString(Path.of(args.get("app"))));
    return new Client(args.get(baseKey), name, app, ledger, args.getOrDefault("tag", "chaos"), Duration.ofSeconds(5));
  }

  private static JsonObject load(Map<String, String> args) throws Exception {
    try (Ledger ledger = new Ledger(Path.of(args.get("ledger")));
         Receiver receiver = new Receiver(Integer.parseInt(args.get("receiver-port")))) {
      Client client = client(args, "base", "lb", ledger);
      long seconds = Long.parseLong(args.get("seconds"));
      Workload workload = new Workload(client, receiver, seconds * 1000, Long.parseLong(args.getOrDefault("think", "20")));
      workload.run(Integer.parseInt(args.getOrDefault("users", "8")));
    }
    List<JsonObject> entries = Ledger.read(List.of(Path.of(args.get("ledger"))));
    return new JsonObject().put("experiment", "load").put("answers", entries.size()).put("by_status", Checks.byStatus(entries));
  }

  /** The single-use experiment, under the mixed load of --load-users users through --base (the same receiver). */
  private static JsonObject singleUse(Map<String, String> args) throws Exception {
    try (Ledger ledger = new Ledger(Path.of(args.get("ledger")));
         Ledger loadLedger = new Ledger(Path.of(args.get("load-ledger")));
         Receiver receiver = new Receiver(Integer.parseInt(args.get("receiver-port")))) {
      Client a = client(args, "a", "a", ledger);
      Client b = a.on(args.get("b"), "b");
      JsonObject noGrace = new JsonObject(Files.readString(Path.of(args.get("app-nograce"))));
      Client noGraceA = new Client(args.get("a"), "a", noGrace, ledger, "single-use", Duration.ofSeconds(5));
      Workload load = new Workload(client(args, "base", "lb", loadLedger), receiver, 3_600_000, 20);
      Thread background = new Thread(() -> {
        try {
          load.run(Integer.parseInt(args.getOrDefault("load-users", "4")));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      background.start();
      try {
        return new SingleUse(a, b, noGraceA, receiver, args.get("admin")).run();
      } finally {
        load.stop();
        background.join();
      }
    }
  }

  private static JsonObject spike(Map<String, String> args) throws Exception {
    try (Ledger ledger = new Ledger(Path.of(args.get("ledger")));
         Receiver receiver = new Receiver(Integer.parseInt(args.get("receiver-port")))) {
      Client client = client(args, "base", "lb", ledger);
      List<String> tokens = new ArrayList<>();
      while (tokens.size() < 16) {
        Client.Answer sent = client.send(Workload.email());
        String requestId = sent.body().getString("otp_request_id");
        Client.Answer verified = client.verify(requestId, receiver.code(requestId, 10_000));
        tokens.add(verified.body().getString("access_token"));
      }
      return new Spike(client, tokens).run(Integer.parseInt(args.get("rps")), Integer.parseInt(args.getOrDefault("seconds", "10")));
    }
  }

  /** Every code the ledger saw consumed (before the given time) is presented again: each must be expired. */
  private static JsonObject recheckCodes(Map<String, String> args) throws Exception {
    long before = Long.parseLong(args.getOrDefault("before", Long.toString(Long.MAX_VALUE)));
    List<JsonObject> consumed = Ledger.read(List.of(Path.of(args.get("ledger")))).stream()
        .filter(e -> "verify".equals(e.getString("op")) && Checks.ok(e) && e.getLong("t") + e.getLong("ms") < before)
        .toList();
    try (Ledger ledger = new Ledger(Path.of(args.get("out")))) {
      Client client = client(args, "base", "lb", ledger);
      JsonArray revived = new JsonArray();
      for (JsonObject entry : consumed) {
        Client.Answer again = client.verify(entry.getString("req"), entry.getString("code"));
        if (!(again.status() == 401 && "otp_expired".equals(again.error()))) {
          revived.add(new JsonObject().put("rid", entry.getString("rid")).put("status", again.status()).put("error", again.error()));
        }
      }
      return new JsonObject().put("experiment", "consumed-codes-stay-consumed").put("codes_consumed", consumed.size())
          .put("codes_verifying_again", revived.size()).put("examples", revived).put("passed", revived.isEmpty());
    }
  }

  private static JsonObject check(Map<String, String> args) throws Exception {
    List<Path> files = new ArrayList<>();
    for (String file : args.get("ledger").split(",")) {
      files.add(Path.of(file));
    }
    try (Ledger ledger = new Ledger(Path.of(args.get("ledger").split(",")[0] + ".checks"))) {
      Client admin = new Client(args.get("base"), "lb", new JsonObject(), ledger, "check", Duration.ofSeconds(10));
      Checks checks = new Checks(Ledger.read(files), args.get("jdbc"), admin, args.get("admin"));
      return checks.run(Long.parseLong(args.getOrDefault("fault-start", "0")), Long.parseLong(args.getOrDefault("fault-end", "0")),
          Long.parseLong(args.getOrDefault("recovery-ms", "10000")));
    }
  }

  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
