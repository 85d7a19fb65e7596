package dev.portcullis.webhook;

/** A provider did not take a message. {@code retryable} is false when trying again cannot help (e.g. a 400). */
public final class DeliveryFailure extends RuntimeException {

  private final boolean retryable;

  public DeliveryFailure(String message, boolean retryable) {
    super(message, null, false, false);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
