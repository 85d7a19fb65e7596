package dev.portcullis.core.messages;

import java.util.UUID;

/** Published when an app changes: {@code Bus.APP_CHANGED}. */
public final class AppMessages {

  private AppMessages() {
  }

  /** What changed: "secret", "key", "settings" or "deleted". */
  public record Changed(UUID appId, String change) {
  }
}
