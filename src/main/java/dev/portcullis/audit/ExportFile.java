package dev.portcullis.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The exported audit month, a JSON-lines file: one event per line (the fields of {@code GET /audit}, hash
 * included), grouped by app and in seq order within an app, each line ending in {@code \n}, then one trailer line:
 * <pre>{"trailer": {"format", "month", "app_id", "exported_at", "alg", "key_id",
 *   "chains": [{"app_id", "first_seq", "last_seq", "previous_hash", "head_hash", "events", "keyed_from_seq",
 *   "events_sha256"}]},
 *  "signature": "&lt;base64url Ed25519 signature of the canonical JSON of trailer&gt;"}</pre>
 * {@code previous_hash} is the hash of the event before {@code first_seq} (64 zeros at the start of a chain),
 * so the file's first link can be checked; {@code head_hash} is the hash of {@code last_seq}. {@code keyed_from_seq}
 * (when present) is the seq from which the chain's links are HMACs under the master key's audit-chain key
 * ({@link ChainHash}); the signature covers it too, so it cannot be moved in the file.
 *
 * <p>{@code events_sha256} is the unkeyed SHA-256 of the chain's event lines exactly as the file holds them, each
 * with its {@code \n}: signed with the rest, it lets the public key alone vouch for every line's content. The
 * head hash alone does not: a keyed link cannot be recomputed without the master key, so a verifier without it
 * would otherwise see only the order, the counts and the last hash string. Files of the first format
 * ({@link #FORMAT_V1}) have no {@code events_sha256}; their keyed events are checked with the master key only.
 */
final class ExportFile {

  static final String FORMAT = "portcullis-audit-export/2";
  /** Files written before {@code events_sha256}: still verified, their keyed events with the master key only. */
  static final String FORMAT_V1 = "portcullis-audit-export/1";

  private ExportFile() {
  }

  /**
   * One app's contiguous part of its chain in the file. {@code keyedFromSeq} is the chain's recorded switch to
   * keyed (HMAC) links; files written before keyed chains have none, and all their links are SHA-256.
   * {@code eventsSha256} is the digest of its event lines ({@link #digest}); null in files of {@link #FORMAT_V1}.
   */
  record Chain(UUID appId, long firstSeq, long lastSeq, String previousHash, String headHash, long events,
               Long keyedFromSeq, String eventsSha256) {

    /** The first seq with a keyed link (beyond any seq when the chain has none). */
    long keyedFrom() {
      return keyedFromSeq == null ? Long.MAX_VALUE : keyedFromSeq;
    }

    JsonObject toJson() {
      JsonObject json = new JsonObject().put("app_id", appId.toString()).put("first_seq", firstSeq)
          .put("last_seq", lastSeq).put("previous_hash", previousHash).put("head_hash", headHash).put("events", events);
      // Absent (not null) in files of chains without them, so the signed text of older files stays the same.
      if (keyedFromSeq != null) {
        json.put("keyed_from_seq", keyedFromSeq);
      }
      return eventsSha256 == null ? json : json.put("events_sha256", eventsSha256);
    }

    static Chain fromJson(JsonObject json, String format) {
      String eventsSha256 = json.getString("events_sha256");
      if (FORMAT.equals(format) == (eventsSha256 == null)) {
        throw new IllegalArgumentException("events_sha256 is in every chain of a " + FORMAT + " trailer, and only there");
      }
      return new Chain(UUID.fromString(json.getString("app_id")), json.getLong("first_seq"), json.getLong("last_seq"),
          json.getString("previous_hash"), json.getString("head_hash"), json.getLong("events"),
          json.getLong("keyed_from_seq"), eventsSha256);
    }
  }

  /** The trailer on the file's last line; throws when there is none. */
  static Trailer trailer(Path file) throws IOException {
    String last = null;
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        last = line;
      }
    }
    if (last == null) {
      throw new IllegalArgumentException(file + " is empty");
    }
    return Trailer.parse(new JsonObject(last));
  }

  /** A fresh digest for a chain's {@code events_sha256}: feed it each event line with {@link #digest}. */
  static MessageDigest eventsDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** Adds one event line, as the file holds it (without its line break), and its {@code \n}. */
  static void digest(MessageDigest digest, String line) {
    digest.update(line.getBytes(StandardCharsets.UTF_8));
    digest.update((byte) '\n');
  }

  /**
   * The signed summary on the file's last line. {@code appId} is null for an export of every app; {@code format}
   * is {@link #FORMAT} for files written now, {@link #FORMAT_V1} for older ones read back.
   */
  record Trailer(String format, String month, String appId, String exportedAt, String keyId, List<Chain> chains,
                 String signature) {

    JsonObject content() {
      JsonArray chainList = new JsonArray();
      chains.forEach(chain -> chainList.add(chain.toJson()));
      return new JsonObject().put("format", format).put("month", month).put("app_id", appId)
          .put("exported_at", exportedAt).put("alg", ExportSigningKey.ALGORITHM).put("key_id", keyId)
          .put("chains", chainList);
    }

    /** The text the signature covers. */
    String signedText() {
      return CanonicalJson.encode(content());
    }

    Trailer signed(ExportSigningKey key) {
      return new Trailer(format, month, appId, exportedAt, key.keyId(), chains, key.sign(
          new Trailer(format, month, appId, exportedAt, key.keyId(), chains, null).signedText()));
    }

    String line() {
      return new JsonObject().put("trailer", content()).put("signature", signature).encode();
    }

    static Trailer parse(JsonObject line) {
      JsonObject trailer = line.getJsonObject("trailer");
      String format = trailer == null ? null : trailer.getString("format");
      if (!FORMAT.equals(format) && !FORMAT_V1.equals(format)
          || !ExportSigningKey.ALGORITHM.equals(trailer.getString("alg"))) {
        throw new IllegalArgumentException("not a " + FORMAT + " trailer");
      }
      List<Chain> chains = new ArrayList<>();
      trailer.getJsonArray("chains").forEach(chain -> chains.add(Chain.fromJson((JsonObject) chain, format)));
      return new Trailer(format, trailer.getString("month"), trailer.getString("app_id"), trailer.getString("exported_at"),
          trailer.getString("key_id"), chains, line.getString("signature"));
    }
  }
}
