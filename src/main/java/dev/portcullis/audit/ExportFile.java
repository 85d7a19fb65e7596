package dev.portcullis.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The exported audit month, a JSON-lines file: one event per line (the fields of {@code GET /audit}, hash
 * included), grouped by app and in seq order within an app, then one trailer line:
 * <pre>{"trailer": {"format", "month", "app_id", "exported_at", "alg", "key_id",
 *   "chains": [{"app_id", "first_seq", "last_seq", "previous_hash", "head_hash", "events", "keyed_from_seq"}]},
 *  "signature": "&lt;base64url Ed25519 signature of the canonical JSON of trailer&gt;"}</pre>
 * {@code previous_hash} is the hash of the event before {@code first_seq} (64 zeros at the start of a chain),
 * so the file's first link can be checked; {@code head_hash} is the hash of {@code last_seq}. Signing the heads
 * signs every event: each hash covers the event and the hash before it. {@code keyed_from_seq} (when present) is
 * the seq from which the chain's links are HMACs under the master key's audit-chain key ({@link ChainHash}); the
 * signature covers it too, so it cannot be moved in the file.
 */
final class ExportFile {

  static final String FORMAT = "portcullis-audit-export/1";

  private ExportFile() {
  }

  /**
   * One app's contiguous part of its chain in the file. {@code keyedFromSeq} is the chain's recorded switch to
   * keyed (HMAC) links; files written before keyed chains have none, and all their links are SHA-256.
   */
  record Chain(UUID appId, long firstSeq, long lastSeq, String previousHash, String headHash, long events,
               Long keyedFromSeq) {

    /** The first seq with a keyed link (beyond any seq when the chain has none). */
    long keyedFrom() {
      return keyedFromSeq == null ? Long.MAX_VALUE : keyedFromSeq;
    }

    JsonObject toJson() {
      JsonObject json = new JsonObject().put("app_id", appId.toString()).put("first_seq", firstSeq)
          .put("last_seq", lastSeq).put("previous_hash", previousHash).put("head_hash", headHash).put("events", events);
      // Absent (not null) in files of chains without it, so the signed text of older files stays the same.
      return keyedFromSeq == null ? json : json.put("keyed_from_seq", keyedFromSeq);
    }

    static Chain fromJson(JsonObject json) {
      return new Chain(UUID.fromString(json.getString("app_id")), json.getLong("first_seq"), json.getLong("last_seq"),
          json.getString("previous_hash"), json.getString("head_hash"), json.getLong("events"),
          json.getLong("keyed_from_seq"));
    }
  }

  /** The signed summary on the file's last line. {@code appId} is null for an export of every app. */
  record Trailer(String month, String appId, String exportedAt, String keyId, List<Chain> chains, String signature) {

    JsonObject content() {
      JsonArray chainList = new JsonArray();
      chains.forEach(chain -> chainList.add(chain.toJson()));
      return new JsonObject().put("format", FORMAT).put("month", month).put("app_id", appId)
          .put("exported_at", exportedAt).put("alg", ExportSigningKey.ALGORITHM).put("key_id", keyId)
          .put("chains", chainList);
    }

    /** The text the signature covers. */
    String signedText() {
      return CanonicalJson.encode(content());
    }

    Trailer signed(ExportSigningKey key) {
      return new Trailer(month, appId, exportedAt, key.keyId(), chains, key.sign(
          new Trailer(month, appId, exportedAt, key.keyId(), chains, null).signedText()));
    }

    String line() {
      return new JsonObject().put("trailer", content()).put("signature", signature).encode();
    }

    static Trailer parse(JsonObject line) {
      JsonObject trailer = line.getJsonObject("trailer");
      if (trailer == null || !FORMAT.equals(trailer.getString("format"))
          || !ExportSigningKey.ALGORITHM.equals(trailer.getString("alg"))) {
        throw new IllegalArgumentException("not a " + FORMAT + " trailer");
      }
      List<Chain> chains = new ArrayList<>();
      trailer.getJsonArray("chains").forEach(chain -> chains.add(Chain.fromJson((JsonObject) chain)));
      return new Trailer(trailer.getString("month"), trailer.getString("app_id"), trailer.getString("exported_at"),
          trailer.getString("key_id"), chains, line.getString("signature"));
    }
  }
}
