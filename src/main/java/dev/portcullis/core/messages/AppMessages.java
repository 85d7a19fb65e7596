package dev.portcullis.core.messages;

import java.util.UUID;

/** Published when an app changes ({@code Bus.APP_CHANGED}), and when a caller goes over its failure limit. */
public final class AppMessages {

  private AppMessages() {
  }

  /**
   * What changed: "created", "secret", "key", "settings" or "deleted". {@code remote}: announced by another
   * gateway process and relayed here through Redis (the relay does not send it back out).
   */
  public record Changed(UUID appId, String change, boolean remote) {

    public Changed(UUID appId, String change) {
      this(appId, change, false);
    }
  }

  /**
   * Changes other processes announced may have been lost ({@code Bus.APP_CHANGES_MISSED}, local): the relay's
   * subscription was down and is up again, so every cache of apps or keys drops all it holds.
   */
  public record ChangesMissed() {
  }

  /**
   * A caller (its per-IP limit key) went over its failed client authentications ({@code Bus.CLIENT_BLOCKED},
   * local): every HTTP verticle of the process refuses it until {@code untilMillis}.
   */
  public record CallerBlocked(String limitKey, long untilMillis) {
  }
}
