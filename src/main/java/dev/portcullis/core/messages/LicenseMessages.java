package dev.portcullis.core.messages;

import java.util.UUID;

/** Published about license generations: {@code Bus.LICENSE_CHANGED} and {@code Bus.LICENSE_RELAY}. */
public final class LicenseMessages {

  private LicenseMessages() {
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
