package dev.portcullis.testing;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Registered for every test class (auto-detected): a blocked event loop during the class fails it. */
public final class NoBlockedThreads implements BeforeAllCallback, AfterAllCallback {

  @Override
  public void beforeAll(ExtensionContext context) {
    BlockedThreadWatch.drain();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<String> warnings = BlockedThreadWatch.drain();
    if (!warnings.isEmpty()) {
      throw new AssertionError("an event loop was blocked during " + context.getDisplayName() + ":\n"
          + String.join("\n", warnings));
    }
  }
}
