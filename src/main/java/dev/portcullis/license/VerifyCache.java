package dev.portcullis.license;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * What {@code POST /licenses/verify} last read from Postgres for a key and fingerprint, for one verticle
 * instance (one event loop, no locks). An answer is used again only while all of these hold:
 * <ul>
 *   <li>the app's license generation ({@link LicenseGenerations}), as this very call counted it (known to the
 *       event loop, {@link KnownGenerations}, or read from Redis), is the one it was read under: any committed
 *       change a verify could see replaces it;</li>
 *   <li>it is younger than {@link #TTL_MS}: what no generation covers (a heartbeat's time, a device's last
 *       seen time) is at most that old;</li>
 *   <li>the moment its license would expire, or its device would miss a heartbeat, has not come: Postgres
 *       decides those by its clock, so the answer is read again then.</li>
 * </ul>
 * A device that already missed its heartbeat is not kept (a heartbeat brings it back without a new
 * generation), nor an unknown key (nothing to keep: random keys must cost what known ones do).
 */
final class VerifyCache {

  static final long TTL_MS = 5_000;
  private static final int MAX_ENTRIES = 10_000;

  private record Key(UUID appId, byte[] keyHash, String fingerprint) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Key that && appId.equals(that.appId) && Arrays.equals(keyHash, that.keyHash)
          && Objects.equals(fingerprint, that.fingerprint);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * appId.hashCode() + Arrays.hashCode(keyHash)) + Objects.hashCode(fingerprint);
    }
  }

  /** One kept answer; its encoded {@code verify} body is made by the first call that answers from it. */
  static final class Entry {
    private final LicenseRepository.Keyed keyed;
    private final String generation;
    private final long validUntilMillis;
    private Buffer answer;

    private Entry(LicenseRepository.Keyed keyed, String generation, long validUntilMillis) {
      this.keyed = keyed;
      this.generation = generation;
      this.validUntilMillis = validUntilMillis;
    }

    LicenseRepository.Keyed keyed() {
      return keyed;
    }

    /** The encoded answer of a verify with this key and fingerprint, made once. */
    Buffer answer(Supplier<JsonObject> build) {
      if (answer == null) {
        answer = build.get().toBuffer();
      }
      return answer;
    }
  }

  /** In insertion order, so the oldest entries are dropped first when full. */
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>();

  /** The answer kept for this key and fingerprint under {@code generation}, or null. */
  Entry get(UUID appId, byte[] keyHash, String fingerprint, String generation) {
    Key key = new Key(appId, keyHash, fingerprint);
    Entry entry = entries.get(key);
    if (entry == null) {
      return null;
    }
    if (!Objects.equals(entry.generation, generation) || System.currentTimeMillis() >= entry.validUntilMillis) {
      entries.remove(key);
      return null;
    }
    return entry;
  }

  /**
   * Keeps what Postgres answered under {@code generation} (read before Postgres was), when it can be kept;
   * null when it cannot.
   */
  Entry put(UUID appId, byte[] keyHash, String fingerprint, String generation, LicenseRepository.Keyed keyed) {
    long now = System.currentTimeMillis();
    long validUntil = validUntil(keyed, now);
    if (validUntil <= now) {
      return null;
    }
    Key key = new Key(appId, keyHash, fingerprint);
    Entry entry = new Entry(keyed, generation, validUntil);
    entries.remove(key);
    entries.put(key, entry);
    if (entries.size() > MAX_ENTRIES) {
      Iterator<Map.Entry<Key, Entry>> oldest = entries.entrySet().iterator();
      oldest.next();
      oldest.remove();
    }
    return entry;
  }

  private static long validUntil(LicenseRepository.Keyed keyed, long now) {
    if (keyed == null || keyed.device() != null && keyed.device().heartbeatDead()) {
      return now;
    }
    long until = now + TTL_MS;
    License license = keyed.license();
    if (license.active() && license.expiresAt() != null) {
      until = Math.min(until, millis(license.expiresAt()));
    }
    Device device = keyed.device();
    if (device != null && license.heartbeatInterval() != null && device.heartbeatFrom() != null) {
      until = Math.min(until, millis(device.heartbeatFrom()) + license.heartbeatInterval() * 1000L);
    }
    return until;
  }

  private static long millis(OffsetDateTime at) {
    return at.toInstant().toEpochMilli();
  }
}
