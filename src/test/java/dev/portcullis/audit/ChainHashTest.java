package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The audit hash chain's canonical form")
class ChainHashTest {

  private static final UUID APP = UUID.fromString("11111111-1111-1111-1111-111111111111");

  private static StoredEvent first() {
    JsonObject data = new JsonObject()
        .put("channel", "email")
        .put("attempts_left", 2)
        .put("ratio", 0.5)
        .put("z", new JsonArray().add(true).addNull().add("é\"q\n\u0001"));
    return new StoredEvent(UUID.fromString("22222222-2222-2222-2222-222222222222"), APP, 0,
        Instant.parse("2026-01-31T12:00:00.123456Z"), "otp.failed", null, "req-1", "203.0.113.7", data, null)
        .chained(1, ChainHash.GENESIS);
  }

  @Test
  @DisplayName("matches SHA-256 of the previous hash and the sorted-key JSON, as an auditor recomputes it")
  void knownVector() {
    // Computed outside Java: python3 json.dumps(event, sort_keys=True, separators=(',', ':'), ensure_ascii=False),
    // then hashlib.sha256((previous_hash + canonical).encode()).hexdigest(), previous_hash = 64 zeros for seq 1.
    StoredEvent first = first();
    assertEquals("bca879e426d04d591ec8a2d0472403c8d32f60b849aca00908c23fde36636d8a", first.hash());
    StoredEvent second = new StoredEvent(UUID.fromString("33333333-3333-3333-3333-333333333333"), APP, 0, first.at(),
        "otp.failed", UUID.fromString("44444444-4444-4444-4444-444444444444"), "req-1", "203.0.113.7",
        new JsonObject(), null).chained(2, first.hash());
    assertEquals("b337d6897d986295b6ad1a8a81ad8b2cf0379114d047fa006fcea94d7fe4dab2", second.hash());
  }

  @Test
  @DisplayName("does not depend on key order or on how jsonb spells a number")
  void stableAcrossRoundTrips() {
    JsonObject written = new JsonObject().put("b", 5.0).put("a", new BigDecimal("1.50")).put("c", 1.5e-7);
    JsonObject readBack = new JsonObject().put("c", 0.00000015).put("a", 1.5).put("b", 5);
    assertEquals("{\"a\":1.5,\"b\":5,\"c\":0.00000015}", CanonicalJson.encode(written));
    assertEquals(CanonicalJson.encode(written), CanonicalJson.encode(readBack));
  }

  @Test
  @DisplayName("changes when any field changes")
  void coversEveryField() {
    StoredEvent event = first();
    StoredEvent otherIp = new StoredEvent(event.id(), APP, 0, event.at(), event.type(), null, event.requestId(),
        "203.0.113.8", event.data(), null).chained(1, ChainHash.GENESIS);
    StoredEvent otherTime = new StoredEvent(event.id(), APP, 0, event.at().plusNanos(1000), event.type(), null,
        event.requestId(), event.clientIp(), event.data(), null).chained(1, ChainHash.GENESIS);
    assertNotEquals(event.hash(), otherIp.hash());
    assertNotEquals(event.hash(), otherTime.hash());
    assertNotEquals(event.hash(), event.chained(1, "f".repeat(64)).hash());
  }

  @Test
  @DisplayName("refuses values JSON cannot hold")
  void refusesNonFinite() {
    assertThrows(IllegalArgumentException.class, () -> CanonicalJson.encode(new JsonObject().put("x", Double.NaN)));
  }

  @Test
  @DisplayName("a keyed link is HMAC-SHA256 under the master key's audit-chain key, differs per key, and applies from keyed_from_seq on")
  void keyedLink() throws Exception {
    byte[] master = new byte[32];
    byte[] chainKey = ChainHash.key(master);
    StoredEvent event = first();
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(master, "HmacSHA256"));
    assertEquals(java.util.HexFormat.of().formatHex(mac.doFinal("portcullis/audit-chain".getBytes("UTF-8"))),
        java.util.HexFormat.of().formatHex(chainKey));
    mac.init(new javax.crypto.spec.SecretKeySpec(chainKey, "HmacSHA256"));
    String expected = java.util.HexFormat.of().formatHex(mac.doFinal((ChainHash.GENESIS
        + CanonicalJson.encode(event.content())).getBytes("UTF-8")));
    assertEquals(expected, ChainHash.keyedLink(chainKey, ChainHash.GENESIS, event));
    assertEquals(expected, ChainHash.link(chainKey, 1, ChainHash.GENESIS, event));
    // Before keyed_from_seq the link is the unkeyed SHA-256 one.
    assertEquals(event.hash(), ChainHash.link(chainKey, 2, ChainHash.GENESIS, event));
    assertNotEquals(expected, ChainHash.keyedLink(ChainHash.key(new byte[] {1}), ChainHash.GENESIS, event));
  }
}
