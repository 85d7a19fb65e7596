package dev.portcullis.audit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Checks an exported audit month (see {@link ExportFile}) without the database: the trailer's signature
 * under the given public key, then every event line against the trailer's chains, one link at a time, and
 * each chain's end against its signed head and its signed {@code events_sha256}. Stops at the first line that
 * fails and names it (a digest that does not match is blamed on the line where its chain ends). Reads the file
 * twice (the trailer is its last line), never holding more than one line and one position and digest per chain.
 *
 * <p>Links before a chain's {@code keyed_from_seq} are SHA-256 and always checked. Links from it on are HMACs
 * under the master key's audit-chain key: recomputed when the key is given. Without it they cannot be: in a
 * file of the current format the signed {@code events_sha256} still vouches for every line's content, and the
 * links not recomputed are counted in {@code keyed_links_unchecked}; in a file of the first format
 * ({@link ExportFile#FORMAT_V1}), what holds then is the signature, every SHA-256 link, the seq range and that
 * the last hash is the signed head, but not the content of the keyed events, counted in
 * {@code keyed_events_unchecked}.
 */
final class ExportVerifier {

  /** A chain's position while its lines are checked, and the digest of its lines so far (null: first format). */
  private static final class Walk {
    private final ExportFile.Chain chain;
    private final MessageDigest lines;
    private long seq;
    private String hash;
    /** The file's line of the chain's latest event: where a chain that ends wrong is blamed (0: none yet). */
    private long lastLine;

    Walk(ExportFile.Chain chain) {
      this.chain = chain;
      this.lines = chain.eventsSha256() == null ? null : ExportFile.eventsDigest();
      this.seq = chain.firstSeq() - 1;
      this.hash = chain.previousHash();
    }
  }

  /** The outcome: ok, or the first line that failed (1-based) and why. */
  record Result(boolean ok, long eventsChecked, String keyId, String month, long line, String appId, Long seq,
                String reason, String detail, long keyedUnchecked, long keyedLinksUnchecked) {

    static Result broken(long eventsChecked, String keyId, String month, long line, String appId, Long seq, String reason,
                         String detail) {
      return new Result(false, eventsChecked, keyId, month, line, appId, seq, reason, detail, 0, 0);
    }

    JsonObject toJson() {
      JsonObject json = new JsonObject().put("ok", ok).put("events_checked", eventsChecked).put("key_id", keyId)
          .put("month", month);
      if (keyedUnchecked > 0) {
        json.put("keyed_events_unchecked", keyedUnchecked);
      }
      if (keyedLinksUnchecked > 0) {
        json.put("keyed_links_unchecked", keyedLinksUnchecked);
      }
      return ok ? json : json.put("first_broken", new JsonObject().put("line", line).put("app_id", appId)
          .put("seq", seq).put("reason", reason).put("detail", detail));
    }
  }

  private ExportVerifier() {
  }

  /** {@code chainKey}: the audit chain key ({@link ChainHash#key}), or null when the master key is not at hand. */
  static Result verify(Path file, PublicKey key, byte[] chainKey) throws IOException {
    long carriageReturn = lineWithCarriageReturn(file);
    if (carriageReturn > 0) {
      // The reader below ends a line at "\r\n" as at "\n", so a copy whose line endings changed would pass, though
      // its bytes are no longer those the digest and the ledger's file hash name (h93).
      return Result.broken(0, null, null, carriageReturn, null, null, "malformed",
          "a carriage return: an export's lines end in \\n alone (was the file's line ending changed?)");
    }
    long lines = 0;
    String last = null;
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        lines++;
        last = line;
      }
    }
    if (last == null) {
      return Result.broken(0, null, null, 1, null, null, "no_trailer", "the file is empty");
    }
    ExportFile.Trailer trailer;
    try {
      trailer = ExportFile.Trailer.parse(new JsonObject(last));
    } catch (DecodeException | IllegalArgumentException | ClassCastException | NullPointerException e) {
      return Result.broken(0, null, null, lines, null, null, "no_trailer", "the last line is not an export trailer");
    }
    String keyId = ExportSigningKey.keyId(key);
    if (!keyId.equals(trailer.keyId())) {
      return Result.broken(0, trailer.keyId(), trailer.month(), lines, null, null, "bad_signature",
          "signed by key " + trailer.keyId() + ", not by the key it is verified with (" + keyId + ")");
    }
    if (trailer.signature() == null) {
      return Result.broken(0, keyId, trailer.month(), lines, null, null, "bad_signature", "the trailer has no signature");
    }
    if (!ExportSigningKey.verify(key, trailer.signedText(), trailer.signature())) {
      return Result.broken(0, keyId, trailer.month(), lines, null, null, "bad_signature",
          "the trailer's signature does not verify: the trailer was changed");
    }
    return walk(file, trailer, lines, keyId, chainKey);
  }

  /** The number of the first line holding a {@code \r}, or 0. */
  private static long lineWithCarriageReturn(Path file) throws IOException {
    long line = 1;
    try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
      for (int b = in.read(); b >= 0; b = in.read()) {
        if (b == '\r') {
          return line;
        }
        if (b == '\n') {
          line++;
        }
      }
    }
    return 0;
  }

  private static Result walk(Path file, ExportFile.Trailer trailer, long trailerLine, String keyId, byte[] chainKey)
      throws IOException {
    Map<UUID, Walk> walks = new HashMap<>();
    trailer.chains().forEach(chain -> walks.put(chain.appId(), new Walk(chain)));
    Set<UUID> finished = new HashSet<>();
    Walk current = null;
    long checked = 0;
    long unchecked = 0;
    long linksUnchecked = 0;
    long number = 0;
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = reader.readLine(); line != null && ++number < trailerLine; line = reader.readLine()) {
        StoredEvent event;
        try {
          event = StoredEvent.fromJson(new JsonObject(line));
        } catch (IllegalArgumentException e) {
          return broken(checked, keyId, trailer, number, null, "malformed", "not an audit event: " + e.getMessage());
        } catch (RuntimeException e) {
          return broken(checked, keyId, trailer, number, null, "malformed", "not an audit event");
        }
        Walk walk = walks.get(event.appId());
        if (walk == null || finished.contains(event.appId())) {
          return broken(checked, keyId, trailer, number, event, "unexpected_app",
              walk == null ? "app is not in the trailer" : "app's chain was already complete");
        }
        if (current != walk) {
          if (current != null) {
            Result ended = end(current, checked, keyId, trailer, number);
            if (ended != null) {
              return ended;
            }
            finished.add(current.chain.appId());
          }
          current = walk;
        }
        checked++;
        if (event.seq() != walk.seq + 1 || event.seq() > walk.chain.lastSeq()) {
          return broken(checked, keyId, trailer, number, event, "seq_gap", "expected seq " + (walk.seq + 1));
        }
        if (walk.lines != null) {
          ExportFile.digest(walk.lines, line);
        }
        boolean keyed = event.seq() >= walk.chain.keyedFrom();
        if (keyed && chainKey == null && walk.lines != null) {
          // Without the master key a keyed link cannot be recomputed; the signed digest of the lines still vouches
          // for this line's content, checked when the chain ends.
          linksUnchecked++;
        } else if (keyed && chainKey == null) {
          // A first-format file has no digest: the chain goes on from the hash as written, and reaching the
          // signed head at the end still shows that nothing was added or cut off, but not what the events say.
          unchecked++;
          checked--;
        } else if (!ChainHash.link(chainKey, walk.chain.keyedFrom(), walk.hash, event).equals(event.hash())) {
          return broken(checked, keyId, trailer, number, event, "hash_mismatch",
              "the hash does not match the event's content and the hash before it");
        }
        walk.seq = event.seq();
        walk.hash = event.hash();
        walk.lastLine = number;
      }
    }
    for (ExportFile.Chain chain : trailer.chains()) {
      if (finished.contains(chain.appId())) {
        continue; // ended when the file moved on to the next chain; its digest is spent
      }
      Result ended = end(walks.get(chain.appId()), checked, keyId, trailer, trailerLine);
      if (ended != null) {
        return ended;
      }
    }
    return new Result(true, checked, keyId, trailer.month(), 0, null, null, null, null, unchecked, linksUnchecked);
  }

  /**
   * Null when the chain reached its signed head with the signed lines, else why not, blamed on the chain's last
   * line, or {@code line} when it has none in the file.
   */
  private static Result end(Walk walk, long checked, String keyId, ExportFile.Trailer trailer, long noLine) {
    long line = walk.lastLine > 0 ? walk.lastLine : noLine;
    if (walk.seq != walk.chain.lastSeq() || !walk.hash.equals(walk.chain.headHash())) {
      return Result.broken(checked, keyId, trailer.month(), line, walk.chain.appId().toString(), walk.seq + 1,
          "head_mismatch", walk.seq == walk.chain.lastSeq()
              ? "the chain's last hash is not the signed head_hash"
              : "the chain ends at seq " + walk.seq + ", the trailer says " + walk.chain.lastSeq());
    }
    if (walk.lines != null && !HexFormat.of().formatHex(walk.lines.digest()).equals(walk.chain.eventsSha256())) {
      return Result.broken(checked, keyId, trailer.month(), line, walk.chain.appId().toString(), null,
          "digest_mismatch", "the chain's event lines are not the ones the trailer signed (events_sha256): "
              + "one of them was changed");
    }
    return null;
  }

  private static Result broken(long checked, String keyId, ExportFile.Trailer trailer, long line, StoredEvent event,
                               String reason, String detail) {
    return Result.broken(checked, keyId, trailer.month(), line, event == null ? null : event.appId().toString(),
        event == null ? null : event.seq(), reason, detail);
  }
}
