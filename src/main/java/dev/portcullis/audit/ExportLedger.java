package dev.portcullis.audit;

import dev.portcullis.core.Secrets;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.YearMonth;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Authenticates the rows of {@code audit_exports}, the ledger that {@code GET /audit/verify} trusts for the part of
 * a chain that left the database: each row carries {@code mac}, the hex HMAC-SHA256 under the ledger key (the
 * purpose key {@code HMAC-SHA256(PORTCULLIS_MASTER_KEY, "portcullis/audit-export-ledger")}) of the canonical
 * JSON of the row's {month ("YYYY-MM"), app_id, first_seq, last_seq, head_hash, file_sha256, key_id}. Someone
 * with the database but not the master key cannot write a row that verify accepts, so cannot hide deleted
 * events behind a forged export.
 */
final class ExportLedger {

  private static final String PURPOSE = "portcullis/audit-export-ledger";

  /** One row of the ledger, as recorded (mac null in rows of releases before the MAC). */
  record Entry(YearMonth month, UUID appId, long firstSeq, long lastSeq, String headHash, String fileSha256,
               String keyId, String mac) {

    private String signedText() {
      return CanonicalJson.encode(new JsonObject().put("month", month.toString()).put("app_id", appId.toString())
          .put("first_seq", firstSeq).put("last_seq", lastSeq).put("head_hash", headHash)
          .put("file_sha256", fileSha256).put("key_id", keyId));
    }

    /** The row's MAC under the ledger key. */
    String expectedMac(byte[] ledgerKey) {
      return HexFormat.of().formatHex(Secrets.hmacSha256(ledgerKey, signedText()));
    }

    /** True when the row carries the MAC the ledger key gives it; false for a forged or legacy (unMACed) row. */
    boolean authentic(byte[] ledgerKey) {
      return mac != null && Secrets.constantTimeEquals(mac.getBytes(StandardCharsets.US_ASCII),
          expectedMac(ledgerKey).getBytes(StandardCharsets.US_ASCII));
    }
  }

  private ExportLedger() {
  }

  /** The ledger's purpose key of the master key. */
  static byte[] key(byte[] masterKey) {
    return Secrets.hmacSha256(masterKey, PURPOSE);
  }
}
