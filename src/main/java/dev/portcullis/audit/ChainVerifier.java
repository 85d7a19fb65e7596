package dev.portcullis.audit;

import io.vertx.core.json.JsonObject;

/**
 * Walks one app's chain oldest first and stops at the first event whose link does not hold: a seq that
 * does not follow the one before (events missing), or a hash that is not the link of the previous hash and
 * the event's canonical content (the event, or the one before it, was altered): SHA-256 before the head's
 * {@code keyed_from_seq}, HMAC-SHA256 under the chain key from it on ({@link ChainHash}).
 */
final class ChainVerifier {

  private final AuditReader.Head head;
  private final long archivedThrough;
  private final byte[] chainKey;
  private final long keyedFrom;
  private long seq;
  private String hash = ChainHash.GENESIS;
  private long checked;
  private JsonObject broken;

  ChainVerifier(AuditReader.Head head, byte[] chainKey) {
    this(head, null, chainKey);
  }

  /**
   * A walk that starts after {@code archived}, the last event of the chain's exported and detached part (null:
   * from the chain's first event).
   */
  ChainVerifier(AuditReader.Head head, AuditReader.Head archived, byte[] chainKey) {
    this.head = head;
    this.chainKey = chainKey;
    this.keyedFrom = head == null ? 1 : head.keyedFromSeq();
    this.archivedThrough = archived == null ? 0 : archived.seq();
    if (archived != null) {
      this.seq = archived.seq();
      this.hash = archived.hash();
    }
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
   * {ok, events_checked, head_hash, keyed_from_seq}, archived_through_seq when the walk started after an exported part, and,
   * when broken, first_broken: {id, seq, reason}.
   */
  JsonObject result() {
    if (broken == null && head != null && (seq != head.seq() || !hash.equals(head.hash()))) {
      // Every row verified, yet the head says the chain goes further or ends elsewhere: its tail is gone.
      broken = new JsonObject().putNull("id").put("seq", seq + 1).put("reason", "head_mismatch");
    }
    JsonObject result = new JsonObject()
        .put("ok", broken == null)
        .put("events_checked", checked)
        .put("head_hash", head == null ? null : head.hash());
    if (head != null) {
      result.put("keyed_from_seq", keyedFrom);
    }
    if (archivedThrough > 0) {
      result.put("archived_through_seq", archivedThrough);
    }
    return broken == null ? result : result.put("first_broken", broken);
  }

  private static JsonObject firstBroken(StoredEvent event, String reason) {
    return new JsonObject().put("id", event.id().toString()).put("seq", event.seq()).put("reason", reason);
  }
}
