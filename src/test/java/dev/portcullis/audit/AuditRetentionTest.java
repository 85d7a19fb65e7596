package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The retention path, as an operator runs it: {@code audit-export} a closed month, {@code audit-verify} the file
 * without the database, {@code audit-detach} the month. Each test uses months of its own, so the tests of one
 * database do not detach each other's months.
 */
@DisplayName("The audit log's retention path: export a closed month, verify the file, detach the month")
class AuditRetentionTest {

  private static TestGateway gateway;
  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start();
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  /** One CLI run: exit status, standard output (one JSON object when ok) and standard error. */
  private record Run(int status, String out, String err) {
    JsonObject json() {
      return new JsonObject(out.trim());
    }
  }

  private static Run cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = new AuditCli(gateway.config().json(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Clock.systemUTC()).run(args);
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static YearMonth monthsBack(int months) {
    return YearMonth.now(ZoneOffset.UTC).minusMonths(months);
  }

  private static Instant at(YearMonth month, long secondsIn) {
    return month.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).plusSeconds(secondsIn);
  }

  /** A new app with events at these instants, moved from DEFAULT into their months' partitions. */
  private static UUID appWithEvents(Instant... ats) {
    UUID app = UUID.randomUUID();
    ChainSeed.seed(gateway, app, List.of(ats));
    ChainSeed.scalar(gateway, "SELECT audit_partitions_ensure(2)");
    return app;
  }

  private Path pubkey() throws IOException {
    Run key = cli("audit-export-key");
    assertEquals(0, key.status(), key.err());
    Path pem = dir.resolve("export-key.pem");
    Files.writeString(pem, key.json().getString("public_key_pem"));
    return pem;
  }

  private Path exported(YearMonth month, UUID app) {
    Path file = dir.resolve("audit-" + month + (app == null ? "" : "-" + app) + ".jsonl");
    Run run = app == null
        ? cli("audit-export", "--month", month.toString(), "--out", file.toString())
        : cli("audit-export", "--month", month.toString(), "--app", app.toString(), "--out", file.toString());
    assertEquals(0, run.status(), run.err());
    return file;
  }

  private Run verify(Path file) throws IOException {
    return cli("audit-verify", file.toString(), "--pubkey", pubkey().toString());
  }

  private static boolean attached(YearMonth month) {
    return "t".equals(ChainSeed.scalar(gateway, "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'audit_events'::regclass "
        + "AND inhrelid::regclass::text = '" + AuditPartitions.name(month) + "')"));
  }

  @Test
  @DisplayName("a closed month exports to JSON lines with a signed trailer, the file verifies without the database, and the export is recorded")
  void exportThenVerify() throws IOException {
    YearMonth month = monthsBack(2);
    UUID app = appWithEvents(at(month, 10), at(month, 20), at(month, 30), at(month.plusMonths(1), 10));

    Path file = exported(month, app);
    List<String> lines = Files.readAllLines(file);
    assertEquals(4, lines.size());
    assertEquals(List.of(1L, 2L, 3L), lines.subList(0, 3).stream().map(line -> new JsonObject(line).getLong("seq")).toList());
    JsonObject chain = new JsonObject(lines.get(3)).getJsonObject("trailer").getJsonArray("chains").getJsonObject(0);
    assertEquals(ChainHash.GENESIS, chain.getString("previous_hash"));
    assertEquals(new JsonObject(lines.get(2)).getString("hash"), chain.getString("head_hash"));

    Run verified = verify(file);
    assertEquals(0, verified.status(), verified.err());
    assertEquals(true, verified.json().getBoolean("ok"));
    assertEquals(3, verified.json().getInteger("events_checked"));
    assertEquals("1..3", ChainSeed.scalar(gateway, "SELECT first_seq || '..' || last_seq FROM audit_exports WHERE app_id = '" + app + "'"));
  }

  @Test
  @DisplayName("a month of several apps exports in one file without --app, and the file verifies (probe h43: each "
      + "chain's digest was read twice, so every file of two chains or more failed its own check)")
  void exportSeveralChains() throws IOException {
    YearMonth month = monthsBack(18);
    UUID first = appWithEvents(at(month, 10), at(month, 20));
    UUID second = appWithEvents(at(month, 30));

    Path file = exported(month, null);
    Run verified = verify(file);
    assertEquals(0, verified.status(), verified.err());
    assertEquals(true, verified.json().getBoolean("ok"));
    assertEquals(3, verified.json().getInteger("events_checked"));
    assertEquals("2", ChainSeed.scalar(gateway, "SELECT count(*) FROM audit_exports WHERE app_id IN ('" + first
        + "', '" + second + "')"));

    // A line of the file's first chain reformatted: blamed on that chain's last line (h46: the next chain's first)
    List<String> lines = new java.util.ArrayList<>(Files.readAllLines(file));
    String firstApp = new JsonObject(lines.get(0)).getString("app_id");
    long chainEnd = lines.stream().takeWhile(line -> firstApp.equals(new JsonObject(line).getString("app_id"))).count();
    lines.set(0, lines.get(0).replaceFirst("\\{", "{ "));
    Path altered = dir.resolve("several-altered.jsonl");
    Files.write(altered, lines);
    JsonObject broken = verify(altered).json().getJsonObject("first_broken");
    assertEquals("digest_mismatch", broken.getString("reason"), broken.encode());
    assertEquals(chainEnd, broken.getLong("line"), broken.encode());
  }

  @Test
  @DisplayName("without --pubkey, audit-verify checks the signature with the key derived from the master key")
  void verifyWithMasterKey() {
    YearMonth month = monthsBack(7);
    appWithEvents(at(month, 10), at(month, 20));
    Run verified = cli("audit-verify", exported(month, null).toString());
    assertEquals(0, verified.status(), verified.err());
    assertEquals(2, verified.json().getInteger("events_checked"));
  }

  @Test
  @DisplayName("the management port publishes the same export key as audit-export-key")
  void keyIsPublished() {
    JsonObject published = gateway.management().get("/audit/export-key").json();
    assertEquals(cli("audit-export-key").json(), published);
    assertEquals("Ed25519", published.getString("alg"));

    // The command needs the master key alone: no issuer or admin key, which only a running gateway needs.
    JsonObject masterKeyOnly = new JsonObject()
        .put(GatewayConfig.MASTER_KEY, gateway.config().json().getString(GatewayConfig.MASTER_KEY))
        .putNull(GatewayConfig.ISSUER).putNull(GatewayConfig.ADMIN_KEY);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = new AuditCli(masterKeyOnly, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Clock.systemUTC()).run("audit-export-key");
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    assertEquals(published, new JsonObject(out.toString(StandardCharsets.UTF_8).trim()));
  }

  @Test
  @DisplayName("an altered event, a removed line, an altered trailer and a foreign key each fail verification, naming the line")
  void tamperedFilesFail() throws Exception {
    YearMonth month = monthsBack(3);
    appWithEvents(at(month, 10), at(month, 20), at(month, 30), at(month, 40));
    Path file = exported(month, null);
    List<String> lines = Files.readAllLines(file);

    Path altered = dir.resolve("altered.jsonl");
    List<String> alteredLines = new ArrayList<>(lines);
    alteredLines.set(1, new JsonObject(lines.get(1)).put("data", new JsonObject().put("n", 99)).encode());
    Files.write(altered, alteredLines);
    Run alteredRun = verify(altered);
    assertEquals(1, alteredRun.status());
    assertEquals(2L, alteredRun.json().getJsonObject("first_broken").getLong("line"));
    assertEquals("hash_mismatch", alteredRun.json().getJsonObject("first_broken").getString("reason"));
    assertTrue(alteredRun.err().contains("line 2: hash_mismatch"), alteredRun.err());

    Path removed = dir.resolve("removed.jsonl");
    List<String> removedLines = new ArrayList<>(lines);
    removedLines.remove(2);
    Files.write(removed, removedLines);
    JsonObject gap = verify(removed).json().getJsonObject("first_broken");
    assertEquals(3L, gap.getLong("line"));
    assertEquals("seq_gap", gap.getString("reason"));

    Path trailer = dir.resolve("trailer.jsonl");
    List<String> trailerLines = new ArrayList<>(lines.subList(0, 3));
    JsonObject signed = new JsonObject(lines.get(4));
    signed.getJsonObject("trailer").getJsonArray("chains").getJsonObject(0).put("last_seq", 3).put("head_hash",
        new JsonObject(lines.get(2)).getString("hash"));
    trailerLines.add(signed.encode());
    Files.write(trailer, trailerLines);
    JsonObject forged = verify(trailer).json().getJsonObject("first_broken");
    assertEquals(4L, forged.getLong("line"));
    assertEquals("bad_signature", forged.getString("reason"));

    KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
    Path foreign = dir.resolve("foreign.pem");
    Files.writeString(foreign, ExportSigningKey.pem(generator.generateKeyPair().getPublic()));
    Run foreignRun = cli("audit-verify", file.toString(), "--pubkey", foreign.toString());
    assertEquals(1, foreignRun.status());
    assertEquals("bad_signature", foreignRun.json().getJsonObject("first_broken").getString("reason"));
  }

  @Test
  @DisplayName("an event line with a field no event has is malformed, even though the hash does not cover that field")
  void unknownFieldIsMalformed() throws IOException {
    YearMonth month = monthsBack(10);
    appWithEvents(at(month, 10), at(month, 20), at(month, 30));
    Path file = exported(month, null);
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    lines.set(1, new JsonObject(lines.get(1)).put("extra", "x").encode());
    Path extra = dir.resolve("extra.jsonl");
    Files.write(extra, lines);

    Run run = cli("audit-verify", extra.toString());

    assertEquals(1, run.status(), run.out());
    JsonObject broken = run.json().getJsonObject("first_broken");
    assertEquals("malformed", broken.getString("reason"));
    assertEquals(2L, broken.getLong("line"));
    assertTrue(broken.getString("detail").contains("extra"), broken.encode());
  }

  @Test
  @DisplayName("a trailer without its signature is reported as bad_signature, like any other broken trailer")
  void unsignedTrailerIsBadSignature() throws IOException {
    YearMonth month = monthsBack(9);
    appWithEvents(at(month, 10), at(month, 20));
    Path file = exported(month, null);
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    JsonObject trailer = new JsonObject(lines.get(lines.size() - 1));
    trailer.remove("signature");
    lines.set(lines.size() - 1, trailer.encode());
    Path unsigned = dir.resolve("unsigned.jsonl");
    Files.write(unsigned, lines);

    Run run = verify(unsigned);

    assertEquals(1, run.status(), run.err());
    assertEquals("bad_signature", run.json().getJsonObject("first_broken").getString("reason"), run.out());
    assertEquals(3L, run.json().getJsonObject("first_broken").getLong("line"));
    assertTrue(run.err().contains("line 3: bad_signature"), run.err());
  }

  @Test
  @DisplayName("a month is detached only once every event of it is in a verified export; the database's verify then starts after the export")
  void detachAfterExport() {
    YearMonth month = monthsBack(4);
    UUID first = appWithEvents(at(month, 10), at(month, 20), at(month, 30), at(monthsBack(0), 0));
    UUID second = appWithEvents(at(month, 15));

    Run early = cli("audit-detach", "--month", month.toString());
    assertEquals(1, early.status());
    assertTrue(early.err().contains("in no export"), early.err());

    exported(month, first);
    Run half = cli("audit-detach", "--month", month.toString());
    assertEquals(1, half.status());
    assertTrue(half.err().contains("app " + second), half.err());
    assertTrue(attached(month));

    exported(month, second);
    Run detached = cli("audit-detach", "--month", month.toString());
    assertEquals(0, detached.status(), detached.err());
    assertEquals(4L, detached.json().getLong("events"));
    assertTrue(!attached(month));
    assertEquals(List.of(4L), AuditTrail.rows(gateway, first).stream().map(row -> row.getLong("seq")).toList());

    AuditTrail.record(gateway, AuditEvent.of(AuditEvent.TOKEN_ISSUED, first, "after-detach", "192.0.2.9"));
    ApiResponse verified = AuditTrail.verify(gateway, first);
    assertEquals(true, verified.json().getBoolean("ok"), verified.body());
    assertEquals(2, verified.json().getInteger("events_checked"));
    assertEquals(3L, verified.json().getLong("archived_through_seq"));
  }

  @Test
  @DisplayName("a ledger row written without the master key does not hide deleted events from verify, and the ledger is append-only")
  void forgedLedgerRowIsNotTrusted() throws Exception {
    YearMonth month = monthsBack(11);
    UUID app = appWithEvents(at(month, 10), at(month, 20), at(month, 30), at(month, 40), at(month, 50), at(month, 60));
    String fourth = AuditTrail.rows(gateway, app).get(3).getString("hash");
    // As a superuser without the master key: the events go, and a ledger row claims an earlier month exported them.
    try (Connection db = gateway.jdbc(); Statement statement = db.createStatement()) {
      statement.execute("SET session_replication_role = replica");
      statement.execute("DELETE FROM audit_events WHERE app_id = '" + app + "' AND seq <= 4");
      statement.execute("INSERT INTO audit_exports (month, app_id, first_seq, last_seq, head_hash, file_sha256, key_id) "
          + "VALUES ('" + month.minusMonths(1).atDay(1) + "', '" + app + "', 1, 4, '" + fourth + "', 'forged', 'forged')");
      statement.execute("SET session_replication_role = origin");
    }

    ApiResponse verified = AuditTrail.verify(gateway, app);

    assertEquals(false, verified.json().getBoolean("ok"), verified.body());
    assertEquals("seq_gap", verified.json().getJsonObject("first_broken").getString("reason"));
    assertEquals(5L, verified.json().getJsonObject("first_broken").getLong("seq"));
    assertNull(verified.json().getValue("archived_through_seq"));

    SQLException refused = assertThrows(SQLException.class,
        () -> ChainSeed.execute(gateway, "DELETE FROM audit_exports WHERE app_id = '" + app + "'"));
    assertTrue(refused.getMessage().contains("append-only"), refused.getMessage());
    assertThrows(SQLException.class, () -> ChainSeed.execute(gateway, "UPDATE audit_exports SET last_seq = 5 WHERE app_id = '" + app + "'"));
  }

  @Test
  @DisplayName("audit-detach trusts only authentic ledger rows: a row written by hand cannot make a month leave unexported")
  void forgedLedgerRowDetachesNothing() throws Exception {
    YearMonth month = monthsBack(13);
    UUID app = appWithEvents(at(month, 10), at(month, 20), at(monthsBack(0), 0));
    ChainSeed.execute(gateway, "INSERT INTO audit_exports (month, app_id, first_seq, last_seq, head_hash, file_sha256, "
        + "key_id) VALUES ('" + month.atDay(1) + "', '" + app + "', 1, 2, '" + "a".repeat(64) + "', 'forged', 'forged')");
    Run refused = cli("audit-detach", "--month", month.toString(), "--drop");
    assertEquals(1, refused.status(), refused.out());
    assertTrue(refused.err().contains("authentic"), refused.err());
    assertTrue(attached(month), "the month stays");
  }

  @Test
  @DisplayName("a ledger row of an earlier release (no MAC) is not trusted by verify until audit-ledger-seal authenticates it from its verified file")
  void legacyLedgerRowSealedFromItsFile() throws Exception {
    YearMonth month = monthsBack(15);
    UUID app = appWithEvents(at(month, 10), at(month, 20), at(monthsBack(0), 0));
    Path file = exported(month, app);
    // The row as a release before V107 recorded it: no MAC.
    ChainSeed.execute(gateway, "ALTER TABLE audit_exports DISABLE TRIGGER audit_exports_append_only",
        "UPDATE audit_exports SET mac = NULL WHERE app_id = '" + app + "'",
        "ALTER TABLE audit_exports ENABLE TRIGGER audit_exports_append_only");
    // the earlier release's audit-detach: the database function alone
    ChainSeed.execute(gateway, "SELECT audit_partition_detach('" + month.atDay(1) + "', false)");
    ApiResponse untrusted = AuditTrail.verify(gateway, app);
    assertEquals(false, untrusted.json().getBoolean("ok"), untrusted.body());
    assertEquals("seq_gap", untrusted.json().getJsonObject("first_broken").getString("reason"));

    Run sealed = cli("audit-ledger-seal", file.toString());

    assertEquals(0, sealed.status(), sealed.err());
    assertEquals(List.of(app.toString()), sealed.json().getJsonArray("sealed").getList());
    ApiResponse trusted = AuditTrail.verify(gateway, app);
    assertEquals(true, trusted.json().getBoolean("ok"), trusted.body());
    assertEquals(2L, trusted.json().getLong("archived_through_seq"));
    assertEquals(0, cli("audit-ledger-seal", file.toString()).json().getJsonArray("sealed").size(), "sealed once only");

    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    lines.set(0, new JsonObject(lines.get(0)).put("client_ip", "203.0.113.1").encode());
    Path changed = dir.resolve("changed.jsonl");
    Files.write(changed, lines);
    Run refused = cli("audit-ledger-seal", changed.toString());
    assertEquals(1, refused.status(), refused.out());
    assertTrue(refused.err().contains("does not verify"), refused.err());
  }

  @Test
  @DisplayName("events that clock skew put across a month boundary are exported with their chain, and both months verify and detach")
  void skewAcrossBoundary() throws IOException {
    YearMonth month = monthsBack(6);
    YearMonth next = monthsBack(5);
    UUID app = appWithEvents(at(next, -2), at(next, 1), at(next, -1), at(next, 5));

    Path earlier = exported(month, app);
    Path later = exported(next, app);

    assertEquals(0, verify(earlier).status());
    assertEquals(0, verify(later).status());
    assertEquals(4, Files.readAllLines(earlier).size(), "seqs 1..3, the second from the next month, and the trailer");
    assertEquals(2, Files.readAllLines(later).size(), "seq 4 and the trailer");
    Run dropped = cli("audit-detach", "--month", month.toString(), "--drop");
    assertEquals(0, dropped.status(), dropped.err());
    Run detached = cli("audit-detach", "--month", next.toString());
    assertEquals(0, detached.status(), detached.err());
    assertNull(ChainSeed.scalar(gateway, "SELECT to_regclass('" + AuditPartitions.name(month) + "')"));
  }

  @Test
  @DisplayName("an event altered in the database breaks the export's own check: no file, nothing recorded, the month stays attached")
  void tamperedDatabaseIsNotExported() throws Exception {
    YearMonth month = monthsBack(8);
    UUID app = appWithEvents(at(month, 10), at(month, 20), at(month, 30));
    String victim = AuditTrail.rows(gateway, app).get(1).getString("id");
    ChainSeed.execute(gateway, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "UPDATE audit_events SET data = '{\"n\": 99}' WHERE id = '" + victim + "'",
        "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only");
    Path file = dir.resolve("tampered.jsonl");

    Run export = cli("audit-export", "--month", month.toString(), "--app", app.toString(), "--out", file.toString());

    assertEquals(1, export.status());
    assertTrue(export.err().contains("did not verify") && export.err().contains("hash_mismatch"), export.err());
    assertTrue(Files.notExists(file) && Files.notExists(dir.resolve("tampered.jsonl.partial")));
    assertEquals("0", ChainSeed.scalar(gateway, "SELECT count(*) FROM audit_exports WHERE app_id = '" + app + "'"));
    assertEquals(1, cli("audit-detach", "--month", month.toString()).status());
    assertTrue(attached(month));
  }

  @Test
  @DisplayName("a month an app already exported is not exported again: the second export names the first and adds no row")
  void exportTwiceRefused() {
    YearMonth month = monthsBack(12);
    UUID app = appWithEvents(at(month, 10), at(month, 20));
    exported(month, app);
    String sha256 = ChainSeed.scalar(gateway, "SELECT file_sha256 FROM audit_exports WHERE app_id = '" + app + "'");
    Path again = dir.resolve("again.jsonl");

    Run run = cli("audit-export", "--month", month.toString(), "--out", again.toString());

    assertEquals(1, run.status(), run.out());
    assertTrue(run.err().contains("already exported") && run.err().contains(sha256), run.err());
    assertTrue(Files.notExists(again));
    assertEquals("1", ChainSeed.scalar(gateway, "SELECT count(*) FROM audit_exports WHERE app_id = '" + app + "'"));
  }

  @Test
  @DisplayName("while another export, detach or seal runs, an export is refused before it reads or writes anything")
  void oneRetentionCommandAtATime() throws Exception {
    YearMonth month = monthsBack(16);
    UUID app = appWithEvents(at(month, 10), at(month, 20));
    Path file = dir.resolve("meanwhile.jsonl");
    try (Connection running = gateway.jdbc(); Statement lock = running.createStatement()) {
      lock.execute("SELECT pg_advisory_lock(31, 1)");

      Run export = cli("audit-export", "--month", month.toString(), "--app", app.toString(), "--out", file.toString());

      assertEquals(1, export.status(), export.out());
      assertTrue(export.err().contains("another audit-export"), export.err());
      assertTrue(Files.notExists(file));
      assertEquals("0", ChainSeed.scalar(gateway, "SELECT count(*) FROM audit_exports WHERE app_id = '" + app + "'"));
    }
    assertEquals(0, cli("audit-export", "--month", month.toString(), "--app", app.toString(), "--out", file.toString())
        .status(), "the lock goes with the connection that held it");
  }

  @Test
  @DisplayName("an exported month whose events still sit in the DEFAULT partition is refused saying so, not as dropped")
  void monthStillInDefault() {
    YearMonth month = monthsBack(17);
    UUID app = UUID.randomUUID();
    ChainSeed.seed(gateway, app, List.of(at(month, 10), at(month, 20)));
    ChainSeed.scalar(gateway, "INSERT INTO audit_exports (month, app_id, first_seq, last_seq, head_hash, file_sha256, "
        + "key_id) VALUES ('" + month.atDay(1) + "', '" + app + "', 1, 2, '" + "0".repeat(64) + "', 'x', 'k') RETURNING 1");
    Path file = dir.resolve("default.jsonl");

    Run export = cli("audit-export", "--month", month.toString(), "--out", file.toString());

    assertEquals(1, export.status(), export.out());
    assertTrue(export.err().contains("DEFAULT partition"), export.err());
    assertTrue(Files.notExists(file));
  }

  @Test
  @DisplayName("a detached month is not exported again from what is left, and audit-detach --drop then drops its table")
  void detachedMonthThenDrop() {
    YearMonth month = monthsBack(13);
    UUID app = appWithEvents(at(month, 10), at(month, 20));
    exported(month, app);
    assertEquals(0, cli("audit-detach", "--month", month.toString()).status());
    Path late = dir.resolve("late.jsonl");

    Run export = cli("audit-export", "--month", month.toString(), "--out", late.toString());
    assertEquals(1, export.status(), export.out());
    assertTrue(export.err().contains("was detached"), export.err());
    assertTrue(Files.notExists(late));

    Run plain = cli("audit-detach", "--month", month.toString());
    assertEquals(1, plain.status());
    assertTrue(plain.err().contains("already detached"), plain.err());

    Run drop = cli("audit-detach", "--month", month.toString(), "--drop");
    assertEquals(0, drop.status(), drop.err());
    assertEquals(true, drop.json().getBoolean("dropped"));
    assertEquals(2L, drop.json().getLong("events"));
    assertNull(ChainSeed.scalar(gateway, "SELECT to_regclass('" + AuditPartitions.name(month) + "')"));

    Run dropped = cli("audit-export", "--month", month.toString(), "--out", late.toString());
    assertEquals(1, dropped.status(), dropped.out());
    assertTrue(dropped.err().contains("detached and dropped"), dropped.err());
  }

  @Test
  @DisplayName("audit-export does not replace an existing file unless --overwrite says so")
  void existingFileKept() throws IOException {
    YearMonth month = monthsBack(14);
    UUID app = appWithEvents(at(month, 10));
    Path file = dir.resolve("kept.jsonl");
    Files.writeString(file, "an earlier export\n");

    Run refused = cli("audit-export", "--month", month.toString(), "--app", app.toString(), "--out", file.toString());
    assertEquals(1, refused.status(), refused.out());
    assertTrue(refused.err().contains("exists") && refused.err().contains("--overwrite"), refused.err());
    assertEquals("an earlier export\n", Files.readString(file));

    Run replaced = cli("audit-export", "--month", month.toString(), "--app", app.toString(), "--out", file.toString(),
        "--overwrite");
    assertEquals(0, replaced.status(), replaced.err());
    assertEquals(0, verify(file).status());
  }

  @Test
  @DisplayName("the current month cannot be exported or detached: it is not closed")
  void currentMonthRefused() {
    YearMonth now = monthsBack(0);
    Run export = cli("audit-export", "--month", now.toString(), "--out", dir.resolve("now.jsonl").toString());
    assertEquals(1, export.status());
    assertTrue(export.err().contains("not closed"), export.err());
    Run detach = cli("audit-detach", "--month", now.toString());
    assertEquals(1, detach.status());
    assertTrue(detach.err().contains("not closed"), detach.err());
  }
}
