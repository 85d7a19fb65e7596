package dev.portcullis.core.messages;

import dev.portcullis.core.Bus;
import java.util.UUID;

/**
 * About license generations: {@code Bus.LICENSE_CHANGED} and {@code Bus.LICENSE_RELAY} (published), and
 * {@code Bus.LICENSES_DETACHED} (asked of the license service).
 */
public final class LicenseMessages {

  private LicenseMessages() {
  }

  /** Licences of the app were detached from their deleted user (committed). */
  public record Detached(UUID appId, String requestId) implements Bus.Request {
  }

  /** The license generation of an app was replaced, by this process or (relayed through Redis) another. */
  public record Changed(UUID appId) {
  }

  /**
   * The state of this process's subscription to generation changes, announced on every change and every second.
   * {@code up}: every change published since the subscription numbered {@code epoch} came up has been relayed;
   * a new epoch means changes may have been missed in between.
   */
  public record Relay(long epoch, boolean up) {
  }
}
