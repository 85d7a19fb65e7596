package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exports of chains with keyed links, and what the offline verifier checks with and without the master key. */
@DisplayName("Exported keyed chains: links recomputed with the master key, every line held to the signed digest without it")
class KeyedExportTest {

  private static final byte[] CHAIN_KEY = ChainHash.key(Base64.getDecoder().decode(TestGateway.TEST_MASTER_KEY));

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

  private record Run(int status, String out, String err) {
    JsonObject json() {
      return new JsonObject(out.trim());
    }
  }

  private static Run cli(JsonObject config, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = new AuditCli(config, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Clock.systemUTC()).run(args);
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Instant at(YearMonth month, long secondsIn) {
    return month.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).plusSeconds(secondsIn);
  }

  private Path pubkey() throws IOException {
    Run key = cli(gateway.config().json(), "audit-export-key");
    Path pem = dir.resolve("export-key.pem");
    Files.writeString(pem, key.json().getString("public_key_pem"));
    return pem;
  }

  /** The configuration of a verifier that holds the public key only. */
  private static JsonObject withoutMasterKey() {
    JsonObject config = gateway.config().json();
    config.remove(GatewayConfig.MASTER_KEY);
    return config;
  }

  @Test
  @DisplayName("a chain that switches to keyed links mid-month exports, records keyed_from_seq, and verifies; without the master key the keyed part is counted unchecked")
  void mixedChainExportsAndVerifies() throws IOException {
    YearMonth month = YearMonth.now(ZoneOffset.UTC).minusMonths(4);
    UUID app = UUID.randomUUID();
    ChainSeed.seedKeyed(gateway, app, List.of(at(month, 10), at(month, 20), at(month, 30), at(month, 40), at(month, 50)),
        2, CHAIN_KEY);
    ChainSeed.scalar(gateway, "SELECT audit_partitions_ensure(2)");
    ApiResponse db = AuditTrail.verify(gateway, app);
    assertEquals(true, db.json().getBoolean("ok"), db.body());
    assertEquals(3L, db.json().getLong("keyed_from_seq"));

    Path file = dir.resolve("keyed.jsonl");
    Run exported = cli(gateway.config().json(), "audit-export", "--month", month.toString(), "--app", app.toString(),
        "--out", file.toString());
    assertEquals(0, exported.status(), exported.err());
    List<String> lines = Files.readAllLines(file);
    JsonObject chain = new JsonObject(lines.get(5)).getJsonObject("trailer").getJsonArray("chains").getJsonObject(0);
    assertEquals(3L, chain.getLong("keyed_from_seq"));

    Run withKey = cli(gateway.config().json(), "audit-verify", file.toString(), "--pubkey", pubkey().toString());
    assertEquals(0, withKey.status(), withKey.err());
    assertEquals(5, withKey.json().getInteger("events_checked"));
    assertFalse(withKey.json().containsKey("keyed_events_unchecked"));

    Run publicOnly = cli(withoutMasterKey(), "audit-verify", file.toString(), "--pubkey", pubkey().toString());
    assertEquals(0, publicOnly.status(), publicOnly.err());
    assertEquals(5, publicOnly.json().getInteger("events_checked"), "every line is covered by the signed digest");
    assertEquals(3, publicOnly.json().getInteger("keyed_links_unchecked"));
    assertFalse(publicOnly.json().containsKey("keyed_events_unchecked"));

    // A keyed event altered in the file: the master key's verifier names it.
    List<String> altered = new ArrayList<>(lines);
    altered.set(3, new JsonObject(lines.get(3)).put("data", new JsonObject().put("n", 99)).encode());
    Path alteredFile = dir.resolve("altered.jsonl");
    Files.write(alteredFile, altered);
    Run caught = cli(gateway.config().json(), "audit-verify", alteredFile.toString(), "--pubkey", pubkey().toString());
    assertEquals(1, caught.status());
    assertEquals("hash_mismatch", caught.json().getJsonObject("first_broken").getString("reason"));
    assertEquals(4L, caught.json().getJsonObject("first_broken").getLong("seq"));

    // Moving the switch point in the file breaks the trailer's signature.
    List<String> moved = new ArrayList<>(lines);
    JsonObject trailer = new JsonObject(lines.get(5));
    trailer.getJsonObject("trailer").getJsonArray("chains").getJsonObject(0).put("keyed_from_seq", 6);
    moved.set(5, trailer.encode());
    Path movedFile = dir.resolve("moved.jsonl");
    Files.write(movedFile, moved);
    Run refused = cli(withoutMasterKey(), "audit-verify", movedFile.toString(), "--pubkey", pubkey().toString());
    assertEquals(1, refused.status());
    assertEquals("bad_signature", refused.json().getJsonObject("first_broken").getString("reason"));
  }

  @Test
  @DisplayName("with the public key alone, any change to an event line of a chain keyed from seq 1 fails verification")
  void publicKeyAloneCatchesChangedEvents() throws IOException {
    YearMonth month = YearMonth.now(ZoneOffset.UTC).minusMonths(5);
    UUID app = UUID.randomUUID();
    ChainSeed.seedKeyed(gateway, app, List.of(at(month, 10), at(month, 20), at(month, 30), at(month, 40)), 0, CHAIN_KEY);
    ChainSeed.scalar(gateway, "SELECT audit_partitions_ensure(2)");
    Path file = dir.resolve("keyed-from-1.jsonl");
    Run exported = cli(gateway.config().json(), "audit-export", "--month", month.toString(), "--app", app.toString(),
        "--out", file.toString());
    assertEquals(0, exported.status(), exported.err());
    List<String> lines = Files.readAllLines(file);
    Path pem = pubkey();

    Run intact = cli(withoutMasterKey(), "audit-verify", file.toString(), "--pubkey", pem.toString());
    assertEquals(0, intact.status(), intact.out());
    assertEquals(4, intact.json().getInteger("events_checked"));
    assertEquals(4, intact.json().getInteger("keyed_links_unchecked"));

    JsonObject second = new JsonObject(lines.get(1));
    List<JsonObject> changes = List.of(
        second.copy().put("data", new JsonObject().put("n", 99)),
        second.copy().put("data", second.getJsonObject("data").copy().put("added", true)),
        second.copy().put("user_id", UUID.randomUUID().toString()),
        second.copy().put("client_ip", "203.0.113.66"),
        second.copy().put("hash", "f".repeat(64)));
    for (JsonObject changed : changes) {
      List<String> altered = new ArrayList<>(lines);
      altered.set(1, changed.encode());
      Path alteredFile = dir.resolve("changed.jsonl");
      Files.write(alteredFile, altered);
      Run run = cli(withoutMasterKey(), "audit-verify", alteredFile.toString(), "--pubkey", pem.toString());
      assertEquals(1, run.status(), changed.encode() + " passed: " + run.out());
      assertEquals("digest_mismatch", run.json().getJsonObject("first_broken").getString("reason"), run.out());
    }

    // Nor may its line endings change: the digest and the ledger name the file's bytes (h93: CRLF passed).
    Path crlf = dir.resolve("crlf.jsonl");
    Files.writeString(crlf, String.join("\r\n", lines) + "\r\n");
    Run endings = cli(withoutMasterKey(), "audit-verify", crlf.toString(), "--pubkey", pem.toString());
    assertEquals(1, endings.status(), endings.out());
    assertEquals("malformed", endings.json().getJsonObject("first_broken").getString("reason"), endings.out());
    assertEquals(1, endings.json().getJsonObject("first_broken").getLong("line"));

    // With another master key than the file's (rotated since), the keyed links are left unchecked, said so, and the
    // intact file verifies (h93: every link read as a changed event).
    JsonObject rotated = gateway.config().json().put(GatewayConfig.MASTER_KEY,
        java.util.Base64.getEncoder().encodeToString(new java.security.SecureRandom().generateSeed(32)));
    Run otherKey = cli(rotated, "audit-verify", file.toString(), "--pubkey", pem.toString());
    assertEquals(0, otherKey.status(), otherKey.out() + otherKey.err());
    assertEquals(4, otherKey.json().getInteger("keyed_links_unchecked"), otherKey.out());
    assertTrue(otherKey.err().contains("keyed links are left unchecked"), otherKey.err());
  }

  @Test
  @DisplayName("a file of the first format (no events_sha256) still verifies; without the master key its keyed events are counted unchecked")
  void firstFormatStillVerifies() throws IOException {
    YearMonth month = YearMonth.now(ZoneOffset.UTC).minusMonths(6);
    UUID app = UUID.randomUUID();
    ChainSeed.seedKeyed(gateway, app, List.of(at(month, 10), at(month, 20), at(month, 30)), 1, CHAIN_KEY);
    ChainSeed.scalar(gateway, "SELECT audit_partitions_ensure(2)");
    Path file = dir.resolve("v2.jsonl");
    Run exported = cli(gateway.config().json(), "audit-export", "--month", month.toString(), "--app", app.toString(),
        "--out", file.toString());
    assertEquals(0, exported.status(), exported.err());
    // The same month as the first format wrote it: no events_sha256, format /1, signed by the same key.
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    JsonObject content = new JsonObject(lines.get(3)).getJsonObject("trailer");
    content.put("format", ExportFile.FORMAT_V1);
    content.getJsonArray("chains").getJsonObject(0).remove("events_sha256");
    ExportSigningKey key = ExportSigningKey.fromMasterKey(Base64.getDecoder().decode(TestGateway.TEST_MASTER_KEY));
    lines.set(3, new JsonObject().put("trailer", content).put("signature", key.sign(CanonicalJson.encode(content))).encode());
    Path v1 = dir.resolve("v1.jsonl");
    Files.write(v1, lines);

    Run withKey = cli(gateway.config().json(), "audit-verify", v1.toString(), "--pubkey", pubkey().toString());
    assertEquals(0, withKey.status(), withKey.out());
    assertEquals(3, withKey.json().getInteger("events_checked"));
    Run publicOnly = cli(withoutMasterKey(), "audit-verify", v1.toString(), "--pubkey", pubkey().toString());
    assertEquals(0, publicOnly.status(), publicOnly.out());
    assertEquals(1, publicOnly.json().getInteger("events_checked"));
    assertEquals(2, publicOnly.json().getInteger("keyed_events_unchecked"));

    // A first-format trailer cannot pass off a current-format file: the format is signed.
    List<String> downgraded = new ArrayList<>(Files.readAllLines(file));
    JsonObject relabelled = new JsonObject(downgraded.get(3));
    relabelled.getJsonObject("trailer").put("format", ExportFile.FORMAT_V1);
    relabelled.getJsonObject("trailer").getJsonArray("chains").getJsonObject(0).remove("events_sha256");
    downgraded.set(3, relabelled.encode());
    Path downgradedFile = dir.resolve("downgraded.jsonl");
    Files.write(downgradedFile, downgraded);
    Run refused = cli(withoutMasterKey(), "audit-verify", downgradedFile.toString(), "--pubkey", pubkey().toString());
    assertEquals("bad_signature", refused.json().getJsonObject("first_broken").getString("reason"));
  }
}
