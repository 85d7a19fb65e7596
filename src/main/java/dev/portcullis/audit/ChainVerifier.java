package dev.portcullis.audit;

import dev.portcullis.core.ApiException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Walks one app's chain oldest first and stops at the first event whose link does not hold: a seq that
 * does not follow the one before (events missing), or a hash that is not the link of the previous hash and
 * the event's canonical content (the event, or the one before it, was altered): SHA-256 before the head's
 * {@code keyed_from_seq}, HMAC-SHA256 under the chain key from it on ({@link ChainHash}).
 */
final class ChainVerifier {

  private final UUID appId;
  private final AuditReader.Head head;
  private final long archivedThrough;
  private final byte[] chainKey;
  private final long keyedFrom;
  private long seq;
  private String hash = ChainHash.GENESIS;
  private long checked;
  private JsonObject broken;

  /** Where an earlier answer stopped ({@link #cursor}): 0 when this walk started at the beginning. */
  private long resumedAfter;
  /** Whether the walk stopped at its bound before it reached a verdict. */
  private boolean cut;

  ChainVerifier(UUID appId, AuditReader.Head head, byte[] chainKey) {
    this(appId, head, null, null, chainKey);
  }

  /**
   * A walk that starts after {@code archived}, the last event of the chain's exported and detached part (null:
   * from the chain's first event), or after {@code resume}, where an earlier answer's bound stopped it (null: no
   * such answer), whichever is later.
   */
  ChainVerifier(UUID appId, AuditReader.Head head, AuditReader.Head archived, Resume resume, byte[] chainKey) {
    this.appId = appId;
    this.head = head;
    this.chainKey = chainKey;
    this.keyedFrom = head == null ? 1 : head.keyedFromSeq();
    this.archivedThrough = archived == null ? 0 : archived.seq();
    if (archived != null) {
      this.seq = archived.seq();
      this.hash = archived.hash();
    }
    if (resume != null && resume.seq() > seq) {
      this.seq = resume.seq();
      this.hash = resume.hash();
      this.resumedAfter = resume.seq();
    }
  }

  /** Events checked so far. */
  long checked() {
    return checked;
  }

  /** Stops the walk here, at its bound: the answer says how far it verified and where to go on. */
  void cut() {
    cut = broken == null;
  }

  /** The seq of the last event that verified: where the next page starts. */
  long seq() {
    return seq;
  }

  /** Checks the next event; false once the chain is broken (at this event or before). */
  boolean accept(StoredEvent event) {
    if (broken != null) {
      return false;
    }
    checked++;
    if (head != null && event.seq() > head.seq()) {
      // A row past the head no writer put there (writers move the head with their rows): inserted behind its back.
      broken = firstBroken(event, "beyond_head");
    } else if (event.seq() != seq + 1) {
      broken = firstBroken(event, "seq_gap");
    } else if (!ChainHash.link(chainKey, keyedFrom, hash, event).equals(event.hash())) {
      broken = firstBroken(event, "hash_mismatch");
    } else {
      seq = event.seq();
      hash = event.hash();
    }
    return broken == null;
  }

  /**
   * {ok, events_checked, head_hash, keyed_from_seq, complete}, archived_through_seq when the walk started after an
   * exported part, resumed_after_seq when after an earlier answer's cursor, and, when broken, first_broken: {id,
   * seq, reason}; when cut at its bound, {@link #partial} instead.
   */
  JsonObject result() {
    if (cut) {
      return partial();
    }
    if (broken == null && head != null && (seq != head.seq() || !hash.equals(head.hash()))) {
      // Every row verified, yet the head says the chain goes further or ends elsewhere: its tail is gone.
      broken = new JsonObject().putNull("id").put("seq", seq + 1).put("reason", "head_mismatch");
    }
    JsonObject result = common(broken == null).put("complete", true);
    return broken == null ? result : result.put("first_broken", broken);
  }

  /**
   * The answer of a walk stopped at its bound with no break found so far: not {@code ok} (the chain is not
   * verified yet, and a caller that reads only {@code ok} must not take it for verified), no {@code first_broken},
   * {@code complete: false}, how far it verified, and the cursor that goes on from there.
   */
  private JsonObject partial() {
    return common(false)
        .put("complete", false)
        .put("verified_through_seq", seq)
        .put("next_cursor", cursor());
  }

  private JsonObject common(boolean ok) {
    JsonObject result = new JsonObject()
        .put("ok", ok)
        .put("events_checked", checked)
        .put("head_hash", head == null ? null : head.hash());
    if (head != null) {
      result.put("keyed_from_seq", keyedFrom);
    }
    if (archivedThrough > 0) {
      result.put("archived_through_seq", archivedThrough);
    }
    if (resumedAfter > 0) {
      result.put("resumed_after_seq", resumedAfter);
    }
    return result;
  }

  /** Where a walk goes on: after an event of the chain that verified, and the hash the next one must link to. */
  record Resume(UUID appId, long seq, String hash) {

    private static final String PREFIX = "chain:";
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

    String encode() {
      return Base64.getUrlEncoder().withoutPadding()
          .encodeToString((PREFIX + appId + ":" + seq + ":" + hash).getBytes(StandardCharsets.UTF_8));
    }

    /** The cursor an answer about this app's chain gave, or a failed {@code cursor} field. */
    static Resume parse(String cursor, UUID appId) {
      try {
        String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(":", -1);
        if (parts.length == 4 && (parts[0] + ":").equals(PREFIX) && appId.toString().equals(parts[1])
            && HASH.matcher(parts[3]).matches()) {
          long seq = Long.parseLong(parts[2]);
          if (seq >= 0) {
            return new Resume(appId, seq, parts[3]);
          }
        }
      } catch (IllegalArgumentException e) {
        // falls through to the answer below (NumberFormatException is an IllegalArgumentException too)
      }
      throw ApiException.invalid("cursor", "is not a cursor a verify of this app's chain returned");
    }
  }

  private String cursor() {
    return new Resume(appId, seq, hash).encode();
  }

  private static JsonObject firstBroken(StoredEvent event, String reason) {
    return new JsonObject().put("id", event.id().toString()).put("seq", event.seq()).put("reason", reason);
  }
}
