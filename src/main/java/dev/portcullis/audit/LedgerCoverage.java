package dev.portcullis.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Before a month leaves the database: every event of it must be in an export whose ledger row is authentic (its
 * MAC valid under the master key). The database's own check ({@code audit_partition_detach}) counts any ledger row,
 * and a row written by hand there, without the key, would let a drop delete events no file holds. A chain's events
 * of one month are one range of seqs, so each app's range must lie in the union of its authentic rows' ranges.
 */
final class LedgerCoverage {

  private static final String ROWS = "SELECT month, app_id, first_seq, last_seq, head_hash, file_sha256, key_id, mac "
      + "FROM audit_exports WHERE app_id = ?";

  private final Connection db;
  private final byte[] ledgerKey;

  LedgerCoverage(Connection db, byte[] ledgerKey) {
    this.db = db;
    this.ledgerKey = ledgerKey;
  }

  /** Why the month may not leave yet (an app whose events no authentic export covers), or null when it may. */
  String uncovered(YearMonth month) throws SQLException {
    String partition = AuditPartitions.name(month);
    try (Statement exists = db.createStatement();
         ResultSet table = exists.executeQuery("SELECT to_regclass('" + partition + "') IS NOT NULL")) {
      table.next();
      if (!table.getBoolean(1)) {
        return null; // the database function names the missing partition
      }
    }
    try (Statement ranges = db.createStatement();
         ResultSet apps = ranges.executeQuery("SELECT app_id, min(seq), max(seq) FROM " + partition + " GROUP BY app_id")) {
      while (apps.next()) {
        UUID app = apps.getObject(1, UUID.class);
        if (!covered(app, apps.getLong(2), apps.getLong(3))) {
          return "the events of app " + app + " in " + month + " are in no export with an authentic ledger row "
              + "(export the month, or run audit-ledger-seal FILE for an earlier release's export)";
        }
      }
    }
    return null;
  }

  private boolean covered(UUID app, long first, long last) throws SQLException {
    List<long[]> ranges = new ArrayList<>();
    try (PreparedStatement rows = db.prepareStatement(ROWS)) {
      rows.setObject(1, app);
      try (ResultSet row = rows.executeQuery()) {
        while (row.next()) {
          ExportLedger.Entry entry = new ExportLedger.Entry(YearMonth.from(row.getDate("month").toLocalDate()), app,
              row.getLong("first_seq"), row.getLong("last_seq"), row.getString("head_hash"),
              row.getString("file_sha256"), row.getString("key_id"), row.getString("mac"));
          if (entry.authentic(ledgerKey)) {
            ranges.add(new long[] {entry.firstSeq(), entry.lastSeq()});
          }
        }
      }
    }
    ranges.sort(Comparator.comparingLong(range -> range[0]));
    long next = first;
    for (long[] range : ranges) {
      if (range[0] > next) {
        break;
      }
      next = Math.max(next, range[1] + 1);
    }
    return next > last;
  }
}
