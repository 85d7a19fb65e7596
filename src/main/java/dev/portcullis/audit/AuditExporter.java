package dev.portcullis.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * Exports a closed month of the audit log (every app, or one) to an {@link ExportFile}, verifies the written
 * file with the export key's public half, and only then records it in {@code audit_exports}, the ledger that
 * {@code audit_partition_detach} requires to cover every event of a partition before it lets it go.
 *
 * <p>An app's part of the file is the contiguous seq range from its first event of the month (or just after
 * what an earlier export already holds) to its last event of the month. Pods stamp events with their own
 * clocks, so near a month boundary a chain's events may interleave across two months; the range then takes
 * the few events of the next month that fall inside it, and the next month's export starts after them. Runs
 * over JDBC, blocking: a command-line tool, never on an event loop.
 */
final class AuditExporter {

  private static final String MONTH_CHAINS =
      "SELECT e.app_id, min(e.seq) AS first_seq, max(e.seq) AS last_seq, max(h.keyed_from_seq) AS keyed_from_seq "
          + "FROM audit_events AS e LEFT JOIN audit_chain_heads AS h ON h.app_id = e.app_id WHERE e.at >= ? AND e.at < ? "
          + "AND (?::uuid IS NULL OR e.app_id = ?::uuid) GROUP BY e.app_id ORDER BY e.app_id";
  private static final String EXPORTED_THROUGH =
      "SELECT max(last_seq) FROM audit_exports WHERE app_id = ? AND first_seq <= ? AND month <> ?";
  private static final String HASH_AT = "SELECT hash FROM audit_events WHERE app_id = ? AND seq = ?";
  private static final String EXPORTED_HEAD = "SELECT head_hash FROM audit_exports WHERE app_id = ? AND last_seq = ? LIMIT 1";
  private static final String EVENTS =
      "SELECT " + StoredEvent.COLUMNS + " FROM audit_events WHERE app_id = ? AND seq BETWEEN ? AND ? ORDER BY seq";
  private static final String RECORD =
      "INSERT INTO audit_exports (month, app_id, first_seq, last_seq, head_hash, file_sha256, key_id, mac) "
          + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  /**
   * Whether the month's partition exists, is attached, whether the ledger holds an export of the month, and
   * whether its events still sit in the DEFAULT partition (written before the month had one).
   */
  private static final String MONTH_STATE =
      "SELECT to_regclass(?) IS NOT NULL AS present, EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'audit_events'::regclass "
          + "AND inhrelid = to_regclass(?)) AS attached, EXISTS (SELECT 1 FROM audit_exports WHERE month = ?) AS exported, "
          + "EXISTS (SELECT 1 FROM audit_events_default WHERE at >= ? AND at < ?) AS in_default";
  private static final String EXPORTED_BEFORE =
      "SELECT file_sha256, exported_at FROM audit_exports WHERE app_id = ? AND month = ? ORDER BY id LIMIT 1";
  /** A ledger row of an earlier release (no MAC) that matches a chain of a verified file exactly. */
  private static final String UNSEALED =
      "SELECT key_id, (SELECT count(*) FROM audit_exports AS s WHERE s.month = x.month AND s.app_id = x.app_id "
          + "AND s.first_seq = x.first_seq AND s.last_seq = x.last_seq AND s.head_hash = x.head_hash "
          + "AND s.file_sha256 = x.file_sha256 AND s.mac IS NOT NULL) AS sealed "
          + "FROM audit_exports AS x WHERE month = ? AND app_id = ? AND first_seq = ? AND last_seq = ? AND head_hash = ? "
          + "AND file_sha256 = ? AND mac IS NULL ORDER BY id LIMIT 1";
  private static final int FETCH = 1000;

  /** What was exported: the file, its SHA-256 and its chains. */
  record Exported(Path file, String sha256, List<ExportFile.Chain> chains) {

    long events() {
      return chains.stream().mapToLong(ExportFile.Chain::events).sum();
    }

    JsonObject toJson() {
      JsonArray list = new JsonArray();
      chains.forEach(chain -> list.add(chain.toJson()));
      return new JsonObject().put("file", file.toString()).put("sha256", sha256).put("events", events()).put("chains", list);
    }
  }

  private final Connection db;
  private final ExportSigningKey key;
  private final byte[] chainKey;
  private final byte[] ledgerKey;
  /**
   * How long after a month's end it may be exported. Events are dated by the clock of the gateway process that
   * received them: one running behind still writes events into a month other processes have left, and an export
   * taken at once would leave them in no file, so the month could never be detached (clock probe).
   */
  static final Duration CLOSING_GRACE = Duration.ofMinutes(10);

  private final Clock clock;

  /**
   * {@code chainKey}: the audit chain key ({@link ChainHash#key}), with which the written file is checked;
   * {@code ledgerKey}: the key that authenticates the ledger's rows ({@link ExportLedger#key}).
   */
  AuditExporter(Connection db, ExportSigningKey key, byte[] chainKey, byte[] ledgerKey, Clock clock) {
    this.db = db;
    this.key = key;
    this.chainKey = chainKey;
    this.ledgerKey = ledgerKey;
    this.clock = clock;
  }

  private Instant databaseNow() throws SQLException {
    try (PreparedStatement query = db.prepareStatement("SELECT now()"); ResultSet rows = query.executeQuery()) {
      rows.next();
      return rows.getObject(1, OffsetDateTime.class).toInstant();
    }
  }

  /** {@code overwrite}: whether an existing file at {@code out} may be replaced. */
  Exported export(YearMonth month, UUID appId, Path out, boolean overwrite) throws SQLException, IOException {
    Instant end = month.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    if (end.isAfter(clock.instant()) || end.plus(CLOSING_GRACE).isAfter(databaseNow())) {
      throw new IllegalArgumentException("month " + month + " is not closed yet: a month can be exported "
          + CLOSING_GRACE.toMinutes() + " minutes after its end by this machine's and the database's clocks");
    }
    if (!overwrite && Files.exists(out)) {
      throw new IllegalArgumentException(out + " exists: nothing written (--overwrite replaces it)");
    }
    refuseLeftMonth(month);
    Path partial = out.resolveSibling(out.getFileName() + ".partial");
    try {
      List<ExportFile.Chain> chains = writeFile(month, appId, partial);
      ExportVerifier.Result verified = ExportVerifier.verify(partial, key.publicKey(), chainKey);
      if (!verified.ok()) {
        throw new IllegalStateException("the export did not verify, nothing recorded: " + verified.toJson().encode());
      }
      Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      String sha256 = sha256(out);
      record(month, chains, sha256);
      return new Exported(out, sha256, chains);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /**
   * Refuses a month whose events already left the database: exported from what is left, its file would be
   * empty, or miss the detached events, and still verify.
   */
  private void refuseLeftMonth(YearMonth month) throws SQLException {
    String partition = AuditPartitions.name(month);
    try (PreparedStatement query = db.prepareStatement(MONTH_STATE)) {
      query.setString(1, partition);
      query.setString(2, partition);
      query.setObject(3, month.atDay(1));
      query.setObject(4, month.atDay(1).atStartOfDay().atOffset(ZoneOffset.UTC));
      query.setObject(5, month.plusMonths(1).atDay(1).atStartOfDay().atOffset(ZoneOffset.UTC));
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        if (!rows.getBoolean("present") && rows.getBoolean("in_default")) {
          throw new IllegalStateException("month " + month + " has no partition yet: its events are in the DEFAULT "
              + "partition; start a gateway (its partition job moves them into " + partition + ") and run this again");
        }
        if (rows.getBoolean("present") && !rows.getBoolean("attached")) {
          throw new IllegalStateException("month " + month + " was detached (" + partition + " is no longer a partition of "
              + "audit_events): its events are in the export recorded for it, not in the database");
        }
        if (!rows.getBoolean("present") && rows.getBoolean("exported")) {
          throw new IllegalStateException("month " + month + " was detached and dropped (" + partition + " is gone): its "
              + "events are in the export recorded for it, not in the database");
        }
      }
    }
  }

  /** Refuses an app whose part of the month is already in the ledger: a second export would add a second row. */
  private void refuseExportedAgain(YearMonth month, UUID app) throws SQLException {
    try (PreparedStatement query = db.prepareStatement(EXPORTED_BEFORE)) {
      query.setObject(1, app);
      query.setObject(2, month.atDay(1));
      try (ResultSet rows = query.executeQuery()) {
        if (rows.next()) {
          throw new IllegalStateException("month " + month + " of app " + app + " is already exported (file sha256 "
              + rows.getString("file_sha256") + ", at " + rows.getObject("exported_at", OffsetDateTime.class)
              + "): nothing written; keep that file");
        }
      }
    }
  }

  /**
   * Authenticates the ledger rows an earlier release recorded for {@code file} (rows without a MAC, which
   * {@code GET /audit/verify} does not trust): only once the file verifies under the export key and the chain key,
   * and only rows that match one of its chains and its SHA-256 exactly. The ledger is append-only, so each such row
   * gets an authenticated copy; a row already copied is left alone. Answers the chains sealed now.
   */
  List<ExportFile.Chain> seal(Path file) throws SQLException, IOException {
    ExportVerifier.Result verified = ExportVerifier.verify(file, key.publicKey(), chainKey);
    if (!verified.ok()) {
      throw new IllegalStateException("the file does not verify, nothing sealed: " + verified.toJson().encode());
    }
    String sha256 = sha256(file);
    ExportFile.Trailer trailer = ExportFile.trailer(file);
    YearMonth month = YearMonth.parse(trailer.month());
    List<ExportFile.Chain> unsealed = new ArrayList<>();
    for (ExportFile.Chain chain : trailer.chains()) {
      try (PreparedStatement query = db.prepareStatement(UNSEALED)) {
        query.setObject(1, month.atDay(1));
        query.setObject(2, chain.appId());
        query.setLong(3, chain.firstSeq());
        query.setLong(4, chain.lastSeq());
        query.setString(5, chain.headHash());
        query.setString(6, sha256);
        try (ResultSet rows = query.executeQuery()) {
          if (!rows.next()) {
            throw new IllegalStateException("app " + chain.appId() + ": no ledger row without a MAC records this file's "
                + "chain (seqs " + chain.firstSeq() + ".." + chain.lastSeq() + ", sha256 " + sha256 + "): nothing sealed");
          }
          if (rows.getLong("sealed") == 0) {
            unsealed.add(chain);
          }
        }
      }
    }
    if (!unsealed.isEmpty()) {
      record(month, unsealed, sha256);
    }
    return unsealed;
  }

  /** Writes the month's chains and the signed trailer from one snapshot of the database. */
  private List<ExportFile.Chain> writeFile(YearMonth month, UUID appId, Path file) throws SQLException, IOException {
    List<ExportFile.Chain> chains = new ArrayList<>();
    boolean autoCommit = db.getAutoCommit();
    db.setAutoCommit(false);
    db.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    try (BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (ExportFile.Chain range : ranges(month, appId)) {
        chains.add(write(range, writer));
      }
      ExportFile.Trailer trailer = new ExportFile.Trailer(ExportFile.FORMAT, month.toString(),
          appId == null ? null : appId.toString(), StoredEvent.format(clock.instant().truncatedTo(ChronoUnit.MICROS)),
          null, chains, null).signed(key);
      writer.write(trailer.line());
      writer.write('\n');
    } finally {
      db.rollback();
      db.setAutoCommit(autoCommit);
    }
    return chains;
  }

  /** Each app's range for the month, with the hash before it; events and head are filled in by {@link #write}. */
  private List<ExportFile.Chain> ranges(YearMonth month, UUID appId) throws SQLException {
    Instant start = month.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    Instant end = month.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    List<ExportFile.Chain> ranges = new ArrayList<>();
    try (PreparedStatement query = db.prepareStatement(MONTH_CHAINS)) {
      query.setObject(1, start.atOffset(ZoneOffset.UTC));
      query.setObject(2, end.atOffset(ZoneOffset.UTC));
      query.setObject(3, appId);
      query.setObject(4, appId);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          long keyedFrom = rows.getLong("keyed_from_seq");
          ranges.add(new ExportFile.Chain(rows.getObject("app_id", UUID.class), rows.getLong("first_seq"),
              rows.getLong("last_seq"), null, null, 0, rows.wasNull() ? null : keyedFrom, null));
        }
      }
    }
    List<ExportFile.Chain> anchored = new ArrayList<>();
    for (ExportFile.Chain range : ranges) {
      refuseExportedAgain(month, range.appId());
      long first = Math.max(range.firstSeq(), exportedThrough(range.appId(), range.firstSeq(), month) + 1);
      if (first <= range.lastSeq()) {
        anchored.add(new ExportFile.Chain(range.appId(), first, range.lastSeq(), hashBefore(range.appId(), first), null, 0,
            range.keyedFromSeq(), null));
      }
    }
    return anchored;
  }

  /** The last seq of the app that an export of another month already holds (0 when none). */
  private long exportedThrough(UUID app, long firstSeq, YearMonth month) throws SQLException {
    try (PreparedStatement query = db.prepareStatement(EXPORTED_THROUGH)) {
      query.setObject(1, app);
      query.setLong(2, firstSeq);
      query.setObject(3, month.atDay(1));
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  /** The hash of the event before {@code seq}: genesis, a stored event, or the head of an earlier export. */
  private String hashBefore(UUID app, long seq) throws SQLException {
    if (seq == 1) {
      return ChainHash.GENESIS;
    }
    for (String sql : List.of(HASH_AT, EXPORTED_HEAD)) {
      try (PreparedStatement query = db.prepareStatement(sql)) {
        query.setObject(1, app);
        query.setLong(2, seq - 1);
        try (ResultSet rows = query.executeQuery()) {
          if (rows.next()) {
            return rows.getString(1);
          }
        }
      }
    }
    throw new IllegalStateException("app " + app + ": event " + (seq - 1) + " is neither stored nor the head of an export");
  }

  /** Streams the range's events as lines; answers the range with its head hash, event count and lines' digest. */
  private ExportFile.Chain write(ExportFile.Chain range, BufferedWriter writer) throws SQLException, IOException {
    long events = 0;
    String head = range.previousHash();
    MessageDigest digest = ExportFile.eventsDigest();
    try (PreparedStatement query = db.prepareStatement(EVENTS)) {
      query.setFetchSize(FETCH);
      query.setObject(1, range.appId());
      query.setLong(2, range.firstSeq());
      query.setLong(3, range.lastSeq());
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          StoredEvent event = event(rows);
          String line = event.toJson().encode();
          writer.write(line);
          writer.write('\n');
          ExportFile.digest(digest, line);
          head = event.hash();
          events++;
        }
      }
    }
    return new ExportFile.Chain(range.appId(), range.firstSeq(), range.lastSeq(), range.previousHash(), head, events,
        range.keyedFromSeq(), HexFormat.of().formatHex(digest.digest()));
  }

  private void record(YearMonth month, List<ExportFile.Chain> chains, String sha256) throws SQLException {
    try (PreparedStatement insert = db.prepareStatement(RECORD)) {
      for (ExportFile.Chain chain : chains) {
        ExportLedger.Entry entry = new ExportLedger.Entry(month, chain.appId(), chain.firstSeq(), chain.lastSeq(),
            chain.headHash(), sha256, key.keyId(), null);
        insert.setObject(1, month.atDay(1));
        insert.setObject(2, chain.appId());
        insert.setLong(3, chain.firstSeq());
        insert.setLong(4, chain.lastSeq());
        insert.setString(5, chain.headHash());
        insert.setString(6, sha256);
        insert.setString(7, key.keyId());
        insert.setString(8, entry.expectedMac(ledgerKey));
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  private static StoredEvent event(ResultSet row) throws SQLException {
    String userId = row.getString("user_id");
    return new StoredEvent(row.getObject("id", UUID.class), row.getObject("app_id", UUID.class), row.getLong("seq"),
        row.getObject("at", OffsetDateTime.class).toInstant(), row.getString("type"),
        userId == null ? null : UUID.fromString(userId), row.getString("request_id"), row.getString("client_ip"),
        new JsonObject(row.getString("data")), row.getString("hash"));
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
