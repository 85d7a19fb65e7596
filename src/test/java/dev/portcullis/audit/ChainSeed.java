package dev.portcullis.audit;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.testing.TestGateway;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Writes a chain as the audit writer would have written it at other times (the writer stamps events with
 * the time they arrive, so a test cannot make it write last month): each event hashed after the one before,
 * the rows and the app's chain head inserted straight into Postgres.
 */
final class ChainSeed {

  private ChainSeed() {
  }

  /** A new chain for {@code app}, one event per instant, from the genesis. */
  static List<StoredEvent> seed(TestGateway gateway, UUID app, List<Instant> ats) {
    try (Connection db = gateway.jdbc()) {
      return seed(db, app, ats);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A new chain whose first {@code unkeyed} events have SHA-256 links, as written before the chain was keyed,
   * and the rest HMAC links under {@code chainKey}: its head is recorded keyed from seq {@code unkeyed + 1}.
   */
  static List<StoredEvent> seedKeyed(TestGateway gateway, UUID app, List<Instant> ats, int unkeyed, byte[] chainKey) {
    try (Connection db = gateway.jdbc()) {
      List<StoredEvent> events = unkeyed == 0 ? List.of() : seed(db, app, ats.subList(0, unkeyed));
      String previous = events.isEmpty() ? ChainHash.GENESIS : events.get(events.size() - 1).hash();
      List<StoredEvent> keyed = new ArrayList<>();
      for (int i = unkeyed; i < ats.size(); i++) {
        AuditEvent event = AuditEvent.of(AuditEvent.TOKEN_REFRESHED, app, "seeded-" + i, "192.0.2.1").with("n", i);
        StoredEvent placed = StoredEvent.received(event, ats.get(i)).chained(i + 1, previous, chainKey, unkeyed + 1);
        keyed.add(placed);
        previous = placed.hash();
      }
      if (events.isEmpty()) {
        insertHead(db, app, 0, ChainHash.GENESIS);
      }
      insertEvents(db, keyed);
      try (PreparedStatement move = db.prepareStatement("UPDATE audit_chain_heads SET seq = ?, hash = ? WHERE app_id = ?")) {
        move.setLong(1, ats.size());
        move.setString(2, previous);
        move.setObject(3, app);
        move.executeUpdate();
      }
      events = new ArrayList<>(events);
      events.addAll(keyed);
      return events;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void insertHead(Connection db, UUID app, long seq, String hash) throws SQLException {
    try (PreparedStatement head = db.prepareStatement("INSERT INTO audit_chain_heads (app_id, seq, hash) VALUES (?, ?, ?)")) {
      head.setObject(1, app);
      head.setLong(2, seq);
      head.setString(3, hash);
      head.executeUpdate();
    }
  }

  private static void insertEvents(Connection db, List<StoredEvent> events) throws SQLException {
    try (PreparedStatement insert = db.prepareStatement("INSERT INTO audit_events (" + StoredEvent.COLUMNS + ") "
        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)")) {
      for (StoredEvent event : events) {
        insert.setObject(1, event.id());
        insert.setObject(2, event.appId());
        insert.setLong(3, event.seq());
        insert.setObject(4, event.at().atOffset(ZoneOffset.UTC));
        insert.setString(5, event.type());
        insert.setObject(6, event.userId());
        insert.setString(7, event.requestId());
        insert.setString(8, event.clientIp());
        insert.setString(9, event.data().encode());
        insert.setString(10, event.hash());
        insert.executeUpdate();
      }
    }
  }

  /** The same, on a connection of a database no gateway runs on yet (SHA-256 links; the head keyed from after them). */
  static List<StoredEvent> seed(Connection db, UUID app, List<Instant> ats) throws SQLException {
    List<StoredEvent> events = new ArrayList<>();
    String previous = ChainHash.GENESIS;
    for (int i = 0; i < ats.size(); i++) {
      AuditEvent event = AuditEvent.of(AuditEvent.TOKEN_REFRESHED, app, "seeded-" + i, "192.0.2.1").with("n", i);
      StoredEvent placed = StoredEvent.received(event, ats.get(i)).chained(i + 1, previous);
      events.add(placed);
      previous = placed.hash();
    }
    try (PreparedStatement insert = db.prepareStatement("INSERT INTO audit_events (" + StoredEvent.COLUMNS + ") "
             + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)");
         PreparedStatement head = db.prepareStatement("INSERT INTO audit_chain_heads (app_id, seq, hash) VALUES (?, ?, ?)")) {
      for (StoredEvent event : events) {
        insert.setObject(1, event.id());
        insert.setObject(2, event.appId());
        insert.setLong(3, event.seq());
        insert.setObject(4, event.at().atOffset(ZoneOffset.UTC));
        insert.setString(5, event.type());
        insert.setObject(6, event.userId());
        insert.setString(7, event.requestId());
        insert.setString(8, event.clientIp());
        insert.setString(9, event.data().encode());
        insert.setString(10, event.hash());
        insert.executeUpdate();
      }
      head.setObject(1, app);
      head.setLong(2, events.size());
      head.setString(3, previous);
      head.executeUpdate();
    }
    return events;
  }

  /** The partition holding each of the app's events, in seq order. */
  static List<String> partitions(TestGateway gateway, UUID app) {
    return strings(gateway, "SELECT tableoid::regclass::text FROM audit_events WHERE app_id = '" + app + "' ORDER BY seq");
  }

  /** The first column of every row of a fixed test query. */
  static List<String> strings(TestGateway gateway, String sql) {
    try (Connection db = gateway.jdbc()) {
      return strings(db, sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<String> strings(Connection db, String sql) {
    try (Statement statement = db.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
      List<String> values = new ArrayList<>();
      while (rows.next()) {
        values.add(rows.getString(1));
      }
      return values;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Stages one event of a new app, with request id {@code requestId}, in the audit outbox, a minute old; its insert
   * into the chain first counts itself in the sequence {@code tries} (which survives a rollback), then runs
   * {@code then} (PL/pgSQL ending the trigger: {@code RETURN NEW} or a {@code RAISE}). Returns the app's id.
   */
  static UUID stageWatched(TestGateway gateway, String requestId, String tries, String then) throws SQLException {
    UUID app = UUID.randomUUID();
    String function = tries + "_event";
    execute(gateway,
        "CREATE SEQUENCE " + tries,
        "CREATE FUNCTION " + function + "() RETURNS trigger LANGUAGE plpgsql AS "
            + "$$ BEGIN PERFORM nextval('" + tries + "'); " + then + " END $$",
        "CREATE TRIGGER " + function + " BEFORE INSERT ON audit_events FOR EACH ROW "
            + "WHEN (NEW.request_id = '" + requestId + "') EXECUTE FUNCTION " + function + "()");
    String event = AuditEvent.of(AuditEvent.TOKEN_REFRESHED, app, requestId, "192.0.2.1").toJson().encode();
    execute(gateway, "INSERT INTO audit_outbox (event_id, event, staged_at) VALUES ('" + UUID.randomUUID()
        + "', '" + event + "'::jsonb, now() - interval '1 minute')");
    return app;
  }

  /** How many times a sequence of {@link #stageWatched} counted. */
  static long tries(TestGateway gateway, String tries) {
    return gateway.count("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM " + tries);
  }

  /** Runs fixed test statements as the test's database role (the owner, a superuser here). */
  static void execute(TestGateway gateway, String... statements) throws SQLException {
    try (Connection db = gateway.jdbc(); Statement statement = db.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    }
  }

  /** The value of a one-row, one-column fixed test query. */
  static String scalar(TestGateway gateway, String sql) {
    List<String> values = strings(gateway, sql);
    return values.isEmpty() ? null : values.get(0);
  }
}
