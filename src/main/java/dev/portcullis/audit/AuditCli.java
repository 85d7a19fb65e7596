package dev.portcullis.audit;

import dev.portcullis.boot.ConfigLoader;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The audit log's retention path on the command line ({@code java -jar portcullis.jar <command>}):
 * <pre>
 * audit-export --month YYYY-MM [--app APP_ID] --out FILE [--overwrite]
 *                                                          export a closed month, verify the file, record it
 * audit-verify FILE [--pubkey PEM_FILE]                    check an exported file without the database
 *                                                          (keyed links only with PORTCULLIS_MASTER_KEY)
 * audit-detach --month YYYY-MM [--drop]                    detach (and drop) a month every event of which is exported
 * audit-ledger-seal FILE                                   authenticate the ledger rows an earlier release recorded
 *                                                          for FILE (they have no MAC), once FILE verifies
 * audit-export-key                                         print the export key's public half (PEM) and key id
 * </pre>
 * Configuration as for the gateway (conf/portcullis.yaml, then environment variables). Commands that touch the
 * database use {@code PORTCULLIS_PG_MIGRATION_URL} when set (the owner role, which alone may detach), else
 * {@code PORTCULLIS_PG_URL}. Answers one JSON object on standard output; exit status 0 ok, 1 failed, 2 misuse.
 */
public final class AuditCli {

  public static final Set<String> COMMANDS = Set.of("audit-export", "audit-verify", "audit-detach", "audit-export-key",
      "audit-ledger-seal");

  private static final String PG_MIGRATION_URL = "PORTCULLIS_PG_MIGRATION_URL";
  private static final String DETACH = "SELECT audit_partition_detach(?, ?)";
  /** Class 31 of the gateway's two-key advisory locks (Housekeeping 30, app creation 20 and 21). */
  private static final String RETENTION_LOCK = "SELECT pg_try_advisory_lock(31, 1)";
  private static final String RETENTION_UNLOCK = "SELECT pg_advisory_unlock(31, 1)";

  private final JsonObject overrides;
  private final PrintStream out;
  private final PrintStream err;
  private final Clock clock;

  /** {@code overrides} come last, over the file and the environment (tests pass their database and keys). */
  public AuditCli(JsonObject overrides, PrintStream out, PrintStream err, Clock clock) {
    this.overrides = overrides;
    this.out = out;
    this.err = err;
    this.clock = clock;
  }

  /** Runs one command; answers the process's exit status. */
  public int run(String... args) {
    List<String> rest = new ArrayList<>(List.of(args));
    String command = rest.isEmpty() ? "" : rest.remove(0);
    try {
      return switch (command) {
        case "audit-export" -> export(rest);
        case "audit-verify" -> verify(rest);
        case "audit-detach" -> detach(rest);
        case "audit-export-key" -> exportKey(rest);
        case "audit-ledger-seal" -> seal(rest);
        default -> usage("unknown command " + command);
      };
    } catch (Usage e) {
      return usage(e.getMessage());
    } catch (NoSuchFileException e) {
      err.println(command + " failed: no such file: " + e.getMessage());
      return 1;
    } catch (IOException | SQLException | RuntimeException e) {
      err.println(command + " failed: " + e.getMessage());
      return 1;
    }
  }

  private int export(List<String> args) throws IOException, SQLException {
    YearMonth month = month(option(args, "--month", true));
    String app = option(args, "--app", false);
    Path file = Path.of(option(args, "--out", true));
    boolean overwrite = args.remove("--overwrite");
    noneLeft(args);
    GatewayConfig config = config();
    try (Alone alone = connectAlone(config)) {
      Connection db = alone.db();
      AuditExporter.Exported exported = new AuditExporter(db, ExportSigningKey.fromMasterKey(config.masterKey()),
              ChainHash.key(config.masterKey()), ExportLedger.key(config.masterKey()), clock)
          .export(month, app == null ? null : uuid(app), file, overwrite);
      out.println(exported.toJson().put("month", month.toString()).put("verified", true).encode());
    }
    return 0;
  }

  private int verify(List<String> args) throws IOException {
    String pubkey = option(args, "--pubkey", false);
    if (args.size() != 1) {
      throw new Usage("audit-verify takes one FILE");
    }
    Path file = Path.of(args.get(0));
    PublicKey key;
    byte[] chainKey;
    if (pubkey != null) {
      key = ExportSigningKey.parsePem(Files.readString(Path.of(pubkey)));
      byte[] masterKey = masterKeyIfGiven();
      chainKey = masterKey == null ? null : ChainHash.key(masterKey);
      if (masterKey != null && !ExportSigningKey.fromMasterKey(masterKey).keyId().equals(ExportSigningKey.keyId(key))) {
        // Another master key than the one of the file's export key (rotated since): its keyed links would all read
        // as changed events, so they are left unchecked, and said so (h93).
        err.println("PORTCULLIS_MASTER_KEY is not the key whose export key is " + ExportSigningKey.keyId(key)
            + ": the keyed links are left unchecked");
        chainKey = null;
      }
    } else {
      byte[] masterKey = config().masterKey();
      key = ExportSigningKey.fromMasterKey(masterKey).publicKey();
      chainKey = ChainHash.key(masterKey);
    }
    ExportVerifier.Result result = ExportVerifier.verify(file, key, chainKey);
    out.println(result.toJson().encode());
    if (!result.ok()) {
      err.println(file + ": line " + result.line() + ": " + result.reason() + ": " + result.detail());
    }
    return result.ok() ? 0 : 1;
  }

  /**
   * PORTCULLIS_MASTER_KEY when the configuration has one, else null: a verifier holding only the public key
   * checks the signature and the SHA-256 links, but not the keyed ones.
   */
  private byte[] masterKeyIfGiven() {
    GatewayConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      return null;
    }
    return config.optional(GatewayConfig.MASTER_KEY) == null ? null : config.masterKey();
  }

  private int detach(List<String> args) throws SQLException {
    YearMonth month = month(option(args, "--month", true));
    boolean drop = args.remove("--drop");
    noneLeft(args);
    GatewayConfig config = config();
    try (Alone alone = connectAlone(config); PreparedStatement call = alone.db().prepareStatement(DETACH)) {
      Connection db = alone.db();
      // An open month is the database function's to refuse, naming why
      String uncovered = !month.isBefore(YearMonth.now(clock)) ? null
          : new LedgerCoverage(db, ExportLedger.key(config.masterKey())).uncovered(month);
      if (uncovered != null) {
        err.println("audit-detach failed: " + uncovered);
        return 1;
      }
      call.setObject(1, month.atDay(1));
      call.setBoolean(2, drop);
      try (ResultSet rows = call.executeQuery()) {
        rows.next();
        out.println(new JsonObject().put("month", month.toString())
            .put("partition", AuditPartitions.name(month))
            .put("events", rows.getLong(1)).put("detached", true).put("dropped", drop).encode());
      }
    }
    return 0;
  }

  private int seal(List<String> args) throws IOException, SQLException {
    if (args.size() != 1) {
      throw new Usage("audit-ledger-seal takes one FILE");
    }
    Path file = Path.of(args.get(0));
    GatewayConfig config = config();
    try (Alone alone = connectAlone(config)) {
      Connection db = alone.db();
      List<ExportFile.Chain> sealed = new AuditExporter(db, ExportSigningKey.fromMasterKey(config.masterKey()),
              ChainHash.key(config.masterKey()), ExportLedger.key(config.masterKey()), clock)
          .seal(file);
      out.println(new JsonObject().put("file", file.toString())
          .put("sealed", new JsonArray(sealed.stream().map(chain -> chain.appId().toString()).toList())).encode());
    }
    return 0;
  }

  private int exportKey(List<String> args) {
    noneLeft(args);
    out.println(ExportSigningKey.published(config().masterKey()).encode());
    return 0;
  }

  private GatewayConfig config() {
    Vertx vertx = Vertx.vertx();
    try {
      return GatewayConfig.forTool(ConfigLoader.loadRaw(vertx, overrides, true).await(30, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IllegalArgumentException("configuration: " + e.getMessage());
    } finally {
      vertx.close();
    }
  }

  /**
   * A connection holding the retention lock, or a refusal when another export, detach or seal holds it: each
   * checks the ledger and then writes it, so two at once could both pass the check (two exports of one month).
   * The lock is the session's and goes with the connection.
   */
  private static Alone connectAlone(GatewayConfig config) throws SQLException {
    Connection db = connect(config);
    try (PreparedStatement lock = db.prepareStatement(RETENTION_LOCK); ResultSet locked = lock.executeQuery()) {
      locked.next();
      if (!locked.getBoolean(1)) {
        throw new IllegalStateException("another audit-export, audit-detach or audit-ledger-seal is running against "
            + "this database: nothing done; run this one after it");
      }
      return new Alone(db);
    } catch (SQLException | RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /**
   * A connection holding the retention lock. Closing it releases the lock first: a closed connection's server
   * process lets go of its locks only as it exits, and a command run right after this one (an export, then its
   * detach) found the lock still held and did nothing.
   */
  private record Alone(Connection db) implements AutoCloseable {

    @Override
    public void close() throws SQLException {
      try (Statement unlock = db.createStatement()) {
        unlock.execute(RETENTION_UNLOCK);
      } catch (SQLException broken) {
        // The connection is gone, and its lock with it.
      } finally {
        db.close();
      }
    }
  }

  private static Connection connect(GatewayConfig config) throws SQLException {
    String migrationUrl = config.optional(PG_MIGRATION_URL);
    PgUrl url = migrationUrl == null ? config.pgUrl() : PgUrl.parse(PG_MIGRATION_URL, migrationUrl);
    Properties props = new Properties();
    props.setProperty("user", url.user());
    if (url.password() != null) {
      props.setProperty("password", url.password());
    }
    return DriverManager.getConnection(url.jdbcUrl(), props);
  }

  private int usage(String problem) {
    err.println(problem);
    err.println("usage: java -jar portcullis.jar audit-export --month YYYY-MM [--app APP_ID] --out FILE [--overwrite]");
    err.println("       java -jar portcullis.jar audit-verify FILE [--pubkey PEM_FILE]");
    err.println("       java -jar portcullis.jar audit-detach --month YYYY-MM [--drop]");
    err.println("       java -jar portcullis.jar audit-export-key");
    err.println("       java -jar portcullis.jar audit-ledger-seal FILE");
    return 2;
  }

  /** Removes {@code --name value} from args and answers the value (null when absent and optional). */
  private static String option(List<String> args, String name, boolean required) {
    int at = args.indexOf(name);
    if (at < 0) {
      if (required) {
        throw new Usage(name + " is required");
      }
      return null;
    }
    if (at + 1 >= args.size()) {
      throw new Usage(name + " needs a value");
    }
    String value = args.remove(at + 1);
    args.remove(at);
    return value;
  }

  private static void noneLeft(List<String> args) {
    if (!args.isEmpty()) {
      throw new Usage("unexpected " + String.join(" ", args));
    }
  }

  private static YearMonth month(String value) {
    try {
      return YearMonth.parse(value);
    } catch (DateTimeParseException e) {
      throw new Usage("--month must be YYYY-MM");
    }
  }

  private static UUID uuid(String value) {
    try {
      return UUID.fromString(value);
    } catch (IllegalArgumentException e) {
      throw new Usage("--app must be an app id (a UUID)");
    }
  }

  private static final class Usage extends RuntimeException {
    Usage(String message) {
      super(message, null, false, false);
    }
  }
}
