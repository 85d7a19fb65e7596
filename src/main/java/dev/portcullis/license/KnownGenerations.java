package dev.portcullis.license;

import dev.portcullis.core.Bus;
import dev.portcullis.core.messages.LicenseMessages;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The license generations ({@link LicenseGenerations}) one event loop may use without asking Redis: each one it
 * read while this process's relay ({@link LicenseChangeRelay}) was up, as long as no replacement of that app's
 * generation was announced since. It knows none while the relay is down or silent, or when it came back (what
 * was announced meanwhile may be lost), so every call reads from Redis then. A read that was under way when an
 * announcement or a change of the relay came is not kept: it may be older than the announcement.
 */
final class KnownGenerations {

  /** Stored for an app with no generation in Redis (never changed, or Redis was flushed). */
  static final String NONE = "";
  static final long RELAY_SILENCE_MS = 3 * LicenseChangeRelay.ANNOUNCE_MS;
  private static final int MAX_APPS = 10_000;

  private final Map<UUID, String> generations = new HashMap<>();
  private long epoch = -1;
  private boolean up;
  private long heardAt;
  private long announcements;

  /** Follows this process's relay; call it on the event loop that uses this instance. */
  KnownGenerations listen(Vertx vertx) {
    Bus.listen(vertx, Bus.LICENSE_CHANGED, changed -> changed(changed.appId()));
    Bus.listen(vertx, Bus.LICENSE_RELAY, relay -> relay(relay, System.currentTimeMillis()));
    return this;
  }

  void changed(UUID appId) {
    generations.remove(appId);
    announcements++;
  }

  void relay(LicenseMessages.Relay relay, long now) {
    heardAt = now;
    if (up && relay.up() && relay.epoch() == epoch) {
      return;
    }
    forget();
    up = relay.up();
    epoch = relay.epoch();
  }

  /** The app's generation, or null when it must be read from Redis. */
  String of(UUID appId, long now) {
    if (up && now - heardAt > RELAY_SILENCE_MS) {
      forget();
      up = false;
    }
    return up ? generations.get(appId) : null;
  }

  /** Taken before a read from Redis is sent, and given back to {@link #learned} with its answer. */
  long mark() {
    return announcements;
  }

  /** What Redis answered ({@link #NONE}: no generation) to a read sent at {@code mark}; kept if nothing came since. */
  void learned(UUID appId, String generation, long mark) {
    if (!up || mark != announcements) {
      return;
    }
    if (generations.size() >= MAX_APPS) {
      generations.clear();
    }
    generations.put(appId, generation);
  }

  private void forget() {
    generations.clear();
    announcements++;
  }
}
