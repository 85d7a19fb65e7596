package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.portcullis.core.messages.LicenseMessages;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * An event loop uses a license generation without asking Redis only while its process's relay is up and nothing
 * was announced for the app since it was read; otherwise every verify reads it from Redis, as before the relay.
 */
@DisplayName("Known license generations")
class KnownGenerationsTest {

  private static final UUID APP = UUID.randomUUID();
  private static final UUID OTHER = UUID.randomUUID();
  private static final long NOW = 1_000_000;

  private final KnownGenerations known = new KnownGenerations();

  @Test
  @DisplayName("nothing is known before the relay says it is up, and nothing read then is kept")
  void nothingBeforeTheRelay() {
    known.learned(APP, "g1", known.mark());
    assertNull(known.of(APP, NOW));
    up(1, NOW);
    assertNull(known.of(APP, NOW));
  }

  @Test
  @DisplayName("a generation read while the relay is up is known until its app's change is announced")
  void knownUntilAnnounced() {
    up(1, NOW);
    known.learned(APP, "g1", known.mark());
    known.learned(OTHER, KnownGenerations.NONE, known.mark());
    assertEquals("g1", known.of(APP, NOW));
    assertEquals(KnownGenerations.NONE, known.of(OTHER, NOW));
    known.changed(APP);
    assertNull(known.of(APP, NOW));
    assertEquals(KnownGenerations.NONE, known.of(OTHER, NOW));
  }

  @Test
  @DisplayName("a read sent before an announcement is not kept: it may be older than the change")
  void readBeforeAnAnnouncementIsNotKept() {
    up(1, NOW);
    long mark = known.mark();
    known.changed(OTHER);
    known.learned(APP, "g0", mark);
    assertNull(known.of(APP, NOW));
  }

  @Test
  @DisplayName("the relay going down, coming back with a new subscription, or falling silent forgets everything")
  void relayStates() {
    up(1, NOW);
    known.learned(APP, "g1", known.mark());
    up(1, NOW + 900);
    assertEquals("g1", known.of(APP, NOW + 900), "the same subscription, still up");

    known.relay(new LicenseMessages.Relay(1, false), NOW + 1_000);
    assertNull(known.of(APP, NOW + 1_000));
    known.learned(APP, "g1", known.mark());
    assertNull(known.of(APP, NOW + 1_000), "nothing is kept while down");

    up(1, NOW + 1_500);
    known.learned(APP, "g2", known.mark());
    up(2, NOW + 2_000);
    assertNull(known.of(APP, NOW + 2_000), "a new subscription: announcements may have been lost in between");

    known.learned(APP, "g3", known.mark());
    assertEquals("g3", known.of(APP, NOW + 2_000 + KnownGenerations.RELAY_SILENCE_MS));
    assertNull(known.of(APP, NOW + 2_001 + KnownGenerations.RELAY_SILENCE_MS), "the relay fell silent");
    up(2, NOW + 10_000);
    assertNull(known.of(APP, NOW + 10_000), "what was known before the silence stays forgotten");
  }

  private void up(long epoch, long now) {
    known.relay(new LicenseMessages.Relay(epoch, true), now);
  }
}
