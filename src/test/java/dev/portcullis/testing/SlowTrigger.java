package dev.portcullis.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** A trigger of the test's own that sleeps a while, to make a transaction outlive its deadline; dropped when closed. */
public final class SlowTrigger implements AutoCloseable {

  private final Connection db;
  private final String table;

  /** {@code timing}: when it fires, e.g. {@code BEFORE UPDATE ON users FOR EACH ROW}; it sleeps {@code sleepMs}. */
  public SlowTrigger(TestGateway gateway, String table, String timing, long sleepMs) throws SQLException {
    this.db = gateway.jdbc();
    this.table = table;
    try (Statement ddl = db.createStatement()) {
      ddl.execute("CREATE FUNCTION test_slow() RETURNS trigger LANGUAGE plpgsql AS "
          + "$$ BEGIN PERFORM pg_sleep(" + sleepMs / 1000.0 + "); "
          + "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$");
      ddl.execute("CREATE TRIGGER test_slow " + timing + " EXECUTE FUNCTION test_slow()");
    }
  }

  @Override
  public void close() throws SQLException {
    try (db; Statement ddl = db.createStatement()) {
      ddl.execute("DROP TRIGGER test_slow ON " + table);
      ddl.execute("DROP FUNCTION test_slow()");
    }
  }
}
