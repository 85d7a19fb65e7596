package dev.portcullis.audit;

import dev.portcullis.core.Secrets;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The link of the per-app hash chain over {@code previous_hash || canonical}, where {@code previous_hash} is
 * the 64 lower-case hex characters of the event before (64 zeros for the first event of a chain) and
 * {@code canonical} is the {@link CanonicalJson} text of the event's fields without {@code hash}, both as UTF-8.
 *
 * <p>Two regimes, split at the chain head's recorded {@code keyed_from_seq}: events before it (written before
 * the chain was keyed) are {@code hex(SHA-256(...))}; events from it on are
 * {@code hex(HMAC-SHA256(chain key, ...))}, where the chain key is the purpose key
 * {@code HMAC-SHA256(PORTCULLIS_MASTER_KEY, "portcullis/audit-chain")}. Without the master key a keyed link can
 * be neither recomputed nor checked.
 */
final class ChainHash {

  static final String GENESIS = "0".repeat(64);
  private static final String PURPOSE = "portcullis/audit-chain";

  private ChainHash() {
  }

  /** The audit chain's purpose key of the master key. */
  static byte[] key(byte[] masterKey) {
    return Secrets.hmacSha256(masterKey, PURPOSE);
  }

  /** The unkeyed (SHA-256) link: the regime before a chain's {@code keyed_from_seq}. */
  static String link(String previousHash, StoredEvent event) {
    MessageDigest sha256 = sha256();
    sha256.update(previousHash.getBytes(StandardCharsets.US_ASCII));
    sha256.update(CanonicalJson.encode(event.content()).getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(sha256.digest());
  }

  /** The keyed (HMAC-SHA256) link under the chain key: the regime from a chain's {@code keyed_from_seq} on. */
  static String keyedLink(byte[] chainKey, String previousHash, StoredEvent event) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(chainKey, "HmacSHA256"));
      mac.update(previousHash.getBytes(StandardCharsets.US_ASCII));
      mac.update(CanonicalJson.encode(event.content()).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(mac.doFinal());
    } catch (InvalidKeyException e) {
      throw new IllegalArgumentException("bad audit chain key", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  }

  /** The link of {@code event} in its regime: keyed when its seq is at or after {@code keyedFromSeq}. */
  static String link(byte[] chainKey, long keyedFromSeq, String previousHash, StoredEvent event) {
    return event.seq() >= keyedFromSeq ? keyedLink(chainKey, previousHash, event) : link(previousHash, event);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
