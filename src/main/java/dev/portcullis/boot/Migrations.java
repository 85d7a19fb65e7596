package dev.portcullis.boot;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.PgUrl;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Boot-time schema work over JDBC, always on a worker thread, never on an event loop. */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  /** Unqualified, so it resolves through the search path to the schema Flyway uses by default. */
  private static final String HISTORY = "SELECT version, checksum, type, success FROM flyway_schema_history";

  private Migrations() {
  }

  /**
   * Brings the schema to the jar's version. A database that already holds exactly the jar's scripts (same
   * versions and checksums, all successful: the usual restart) is left as it is without starting Flyway;
   * anything else, including a history that cannot be read, goes to Flyway, which validates and migrates.
   */
  public static Future<Void> migrate(Vertx vertx, GatewayConfig config) {
    // Schema work runs as the migration role (the tables' owner): PORTCULLIS_PG_MIGRATION_URL when set.
    GatewayConfig owner = asMigrationRole(config);
    return refuseAnotherKeyBeforeMigrating(vertx, owner)
        .compose(v -> vertx.executeBlocking(MigrationScripts::read, false))
        .compose(scripts -> scripts.isEmpty()
            ? Future.succeededFuture(false)
            : alreadyApplied(vertx, owner, scripts.get()))
        .compose(applied -> applied ? Future.succeededFuture() : flyway(vertx, owner))
        .compose(v -> checkMasterKey(vertx, owner))
        .compose(v -> grantRuntimeRole(vertx, config));
  }

  /**
   * Records the master key's digest at the first start and refuses any later start with another key (dev mode
   * warns): the app secrets, private signing keys, refresh and OTP hashes and audit chain keys of this database all
   * derive from it, so another key would answer every client invalid_client and write audit links that never verify.
   */
  static Future<Void> checkMasterKey(Vertx vertx, GatewayConfig owner) {
    byte[] digest = MasterKey.checkDigest(owner.masterKey());
    return vertx.executeBlocking(() -> {
      try (Connection db = connect(owner.pgUrl())) {
        if (!sealsExistingKeys(db, new MasterKey(owner.masterKey()), true)) {
          // A database from before this check, upgraded under another key: never record that key as its own.
          mismatch(owner);
          return null;
        }
        try (PreparedStatement record = db.prepareStatement(
            "INSERT INTO master_key_check (digest) VALUES (?) ON CONFLICT DO NOTHING")) {
          record.setBytes(1, digest);
          record.executeUpdate();
        }
        try (Statement query = db.createStatement();
             ResultSet row = query.executeQuery("SELECT digest FROM master_key_check")) {
          if (row.next() && !MessageDigest.isEqual(digest, row.getBytes(1))) {
            mismatch(owner);
          }
        }
        return null;
      } catch (SQLException e) {
        throw new IllegalStateException("cannot check " + GatewayConfig.MASTER_KEY + " against "
            + owner.pgUrl().redacted() + ": " + e.getMessage());
      }
    }, false);
  }

  /**
   * The same check, read only, before any script runs: a pod started under another key must not migrate the schema
   * under the pods still serving before it is refused. A database too old for the check's table is judged by its
   * oldest signing key; one without either (a first start), or that cannot be read yet, is left to Flyway and to
   * {@link #checkMasterKey} after it.
   */
  static Future<Void> refuseAnotherKeyBeforeMigrating(Vertx vertx, GatewayConfig owner) {
    if (owner.devMode()) {
      // Dev mode only warns, once, after migrating.
      return Future.succeededFuture();
    }
    byte[] digest = MasterKey.checkDigest(owner.masterKey());
    return vertx.executeBlocking(() -> {
      boolean another;
      try (Connection db = connect(owner.pgUrl()); Statement query = db.createStatement();
           ResultSet tables = query.executeQuery("SELECT to_regclass('master_key_check') IS NOT NULL, "
               + "to_regclass('signing_keys') IS NOT NULL")) {
        tables.next();
        boolean checked = tables.getBoolean(1);
        boolean keyed = tables.getBoolean(2);
        byte[] recorded = checked ? recordedDigest(db) : null;
        another = recorded != null ? !MessageDigest.isEqual(digest, recorded)
            : keyed && !sealsExistingKeys(db, new MasterKey(owner.masterKey()), checked);
      } catch (SQLException unreadable) {
        if (unreachable(unreadable)) {
          // No connection at all (refused, or a server that never answered within the login timeout): Flyway
          // would only wait as long again to say so.
          throw cannotMigrate(owner, unreadable);
        }
        return null;
      }
      if (another) {
        mismatch(owner);
      }
      return null;
    }, false);
  }

  private static byte[] recordedDigest(Connection db) throws SQLException {
    try (Statement query = db.createStatement(); ResultSet row = query.executeQuery("SELECT digest FROM master_key_check")) {
      return row.next() ? row.getBytes(1) : null;
    }
  }

  /** The configuration with PORTCULLIS_PG_URL replaced by the migration URL (itself when that is unset). */
  private static GatewayConfig asMigrationRole(GatewayConfig config) {
    if (config.optional(GatewayConfig.PG_MIGRATION_URL) == null) {
      return config;
    }
    return GatewayConfig.from(config.json().put(GatewayConfig.PG_URL, config.pgMigrationUrl().toUrl()));
  }

  /**
   * With a migration role of its own, the gateway's role (PORTCULLIS_PG_URL) gets, from the owner and at every
   * start (idempotent, and so it covers tables a new migration made): USAGE on the schema; SELECT, INSERT,
   * UPDATE, DELETE on its tables and USAGE, SELECT on its sequences; then, taken back: UPDATE, DELETE, TRUNCATE
   * on audit_events and audit_exports, DELETE, TRUNCATE on audit_chain_heads, writes to flyway_schema_history,
   * and every privilege on the audit partitions themselves (it reaches them through audit_events). It owns
   * nothing, so it can neither ALTER a table (switch a trigger off) nor grant itself more.
   */
  static Future<Void> grantRuntimeRole(Vertx vertx, GatewayConfig config) {
    PgUrl runtime = config.pgUrl();
    PgUrl owner = config.pgMigrationUrl();
    if (runtime.user().equals(owner.user())) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      try (Connection db = connect(owner)) {
        db.setAutoCommit(false);
        String role = quote(runtime.user());
        String schema;
        try (Statement query = db.createStatement(); ResultSet rows = query.executeQuery("SELECT current_schema()")) {
          rows.next();
          schema = quote(rows.getString(1));
        }
        List<String> statements = new ArrayList<>(List.of(
            // Pods starting together would otherwise GRANT on the same rows at once ("tuple concurrently updated").
            "SELECT pg_advisory_xact_lock(" + GRANTS_LOCK + ")",
            "GRANT USAGE ON SCHEMA " + schema + " TO " + role,
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + role,
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA " + schema + " TO " + role,
            "REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_exports FROM " + role,
            "REVOKE DELETE, TRUNCATE ON audit_chain_heads FROM " + role,
            "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON flyway_schema_history FROM " + role));
        try (Statement query = db.createStatement(); ResultSet rows = query.executeQuery(
            "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relkind IN ('r', 'p') "
                + "AND c.relnamespace = current_schema()::regnamespace AND c.relname LIKE 'audit\\_events\\_%'")) {
          while (rows.next()) {
            statements.add("REVOKE ALL ON " + rows.getString(1) + " FROM " + role);
          }
        }
        try (Statement grant = db.createStatement()) {
          for (String sql : statements) {
            grant.execute(sql);
          }
        }
        db.commit();
        LOG.info("granted role {} the gateway's privileges (as {})", runtime.user(), owner.user());
        return null;
      } catch (SQLException e) {
        throw new IllegalStateException("cannot grant " + GatewayConfig.PG_URL + "'s role its privileges as "
            + owner.redacted() + " (" + GatewayConfig.PG_MIGRATION_URL + "): " + e.getMessage());
      }
    }, false);
  }

  private static void mismatch(GatewayConfig owner) {
    String mismatch = GatewayConfig.MASTER_KEY + " is not the key this database was first started with: its "
        + "app secrets, signing keys and audit links would all be wrong";
    if (!owner.devMode()) {
      throw new IllegalStateException(mismatch + "; start with that key");
    }
    // Dev mode keeps its key per checkout (.portcullis-dev/): another checkout on the same database gets on with
    // new apps, as before, but is told why the old ones fail.
    LOG.warn("{} (dev mode goes on: apps made under the other key will not work)", mismatch);
  }

  /**
   * Before the database holds a digest (a first start, or the first since this check came): true when it has no
   * signing key yet, or when this key opens its oldest one. {@code checkTable}: whether master_key_check exists.
   */
  private static boolean sealsExistingKeys(Connection db, MasterKey key, boolean checkTable) throws SQLException {
    try (Statement query = db.createStatement(); ResultSet row = query.executeQuery(
        "SELECT k.kid, k.private_enc FROM signing_keys k "
            + (checkTable ? "WHERE NOT EXISTS (SELECT 1 FROM master_key_check) " : "")
            + "ORDER BY k.created_at LIMIT 1")) {
      if (!row.next()) {
        return true;
      }
      try {
        key.decrypt(row.getBytes("private_enc"), row.getString("kid"));
        return true;
      } catch (IllegalStateException wrongKey) {
        return false;
      }
    }
  }

  static final int LOGIN_TIMEOUT_S = 10;

  /** Serialises the runtime-role grants of pods that start together: "pcgrants" as a bigint. */
  private static final long GRANTS_LOCK = 0x7063_6772_616e_7473L;

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  private static Connection connect(PgUrl url) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", url.user());
    if (url.password() != null) {
      props.setProperty("password", url.password());
    }
    return DriverManager.getConnection(jdbcUrl(url), props);
  }

  /**
   * The JDBC URL the migrations connect with: a server that takes the connection and never answers (a pooler or a
   * proxy in front of a dead Postgres) fails the start after {@value #LOGIN_TIMEOUT_S} s, where the driver would
   * wait for ever, the pod alive, never ready, its log empty (h104). No socket timeout: a long migration is no hang.
   */
  static String jdbcUrl(PgUrl url) {
    String jdbc = url.jdbcUrl();
    return jdbc + (jdbc.contains("?") ? "&" : "?") + "connectTimeout=" + LOGIN_TIMEOUT_S + "&loginTimeout="
        + LOGIN_TIMEOUT_S;
  }

  /** True when {@code flyway_schema_history} lists exactly these scripts, each applied successfully. */
  static Future<Boolean> alreadyApplied(Vertx vertx, GatewayConfig config, List<MigrationScripts.Script> scripts) {
    Postgres pg = Postgres.create(vertx, config, "portcullis-schema-check", 1);
    return pg.run(pool -> pool.query(HISTORY).execute())
        .map(rows -> {
          List<MigrationScripts.Script> applied = new ArrayList<>();
          for (Row row : rows) {
            // Flyway's own rows (a schema it created, a baseline) and failed scripts are Flyway's to judge.
            if (!Boolean.TRUE.equals(row.getBoolean("success")) || !"SQL".equals(row.getString("type"))
                || row.getString("version") == null || row.getInteger("checksum") == null) {
              return false;
            }
            applied.add(new MigrationScripts.Script(row.getString("version"), row.getInteger("checksum")));
          }
          return MigrationScripts.sorted(applied).equals(scripts);
        })
        .onSuccess(applied -> {
          if (applied) {
            LOG.info("schema at version {} (all {} migrations applied before)", MigrationScripts.latest(scripts),
                scripts.size());
          }
        })
        // No history yet (an empty database) or no answer: Flyway creates it, or says what is wrong.
        .otherwise(false)
        // Not waited for: a pool whose connection attempt a silent server never answers would never close (h104).
        .onComplete(done -> pg.close());
  }

  private static Future<Void> flyway(Vertx vertx, GatewayConfig config) {
    PgUrl url = config.pgUrl();
    return vertx.executeBlocking(() -> {
      try {
        var result = Flyway.configure()
            .dataSource(jdbcUrl(url), url.user(), url.password())
            .locations("classpath:" + MigrationScripts.LOCATION)
            .connectRetries(0)
            // Each capability owns a range of versions (hardening V41-V49 after V50 landed): apply a lower
            // version that arrives after a higher one instead of refusing to start.
            .outOfOrder(true)
            .load()
            .migrate();
        // nothing applied (a schema already current, or newer after a rollback): Flyway names no target version
        String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion;
        LOG.info("schema at version {} ({} migrations applied)", version, result.migrationsExecuted);
        return null;
      } catch (FlywayException e) {
        throw cannotMigrate(config, e);
      }
    }, false);
  }

  /** The start's refusal, naming the database (without its password) and the variable it came from. */
  private static IllegalStateException cannotMigrate(GatewayConfig config, Exception failure) {
    return new IllegalStateException("cannot migrate " + config.pgUrl().redacted() + " (" + (config.optional(
        GatewayConfig.PG_MIGRATION_URL) == null ? GatewayConfig.PG_URL : GatewayConfig.PG_MIGRATION_URL) + "): "
        + rootMessage(failure));
  }

  /** True for SQLSTATE class 08, a connection exception: the server refused, dropped or never answered. */
  private static boolean unreachable(SQLException failure) {
    return failure.getSQLState() != null && failure.getSQLState().startsWith("08");
  }

  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return message.lines().findFirst().orElse(message);
  }

  /**
   * Creates the configured database when it does not exist (dev mode and tests; production gets one made).
   * Blocking: call it from a worker or a test thread.
   */
  public static void createDatabaseIfMissing(PgUrl url) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", url.user());
    if (url.password() != null) {
      props.setProperty("password", url.password());
    }
    props.setProperty("connectTimeout", "3");
    try (Connection connection = DriverManager.getConnection(url.withDatabase("postgres").jdbcUrl(), props);
         PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      exists.setString(1, url.database());
      try (ResultSet rows = exists.executeQuery()) {
        if (rows.next()) {
          return;
        }
      }
      try (Statement create = connection.createStatement()) {
        create.execute("CREATE DATABASE \"" + url.database().replace("\"", "\"\"") + "\"");
        LOG.info("created database {}", url.database());
      } catch (SQLException e) {
        if (!"42P04".equals(e.getSQLState())) { // created concurrently by another process: fine
          throw e;
        }
      }
    }
  }
}
