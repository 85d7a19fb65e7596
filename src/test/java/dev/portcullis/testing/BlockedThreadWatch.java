package dev.portcullis.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Logback appender (see logback-test.xml) that remembers every Vert.x blocked-thread warning, so that
 * {@link NoBlockedThreads} can fail the test class in which an event loop was blocked.
 */
public final class BlockedThreadWatch extends AppenderBase<ILoggingEvent> {

  private static final List<String> WARNINGS = new CopyOnWriteArrayList<>();

  @Override
  protected void append(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    if (message != null && message.contains("has been blocked for")) {
      WARNINGS.add(event.getThreadName() + ": " + message);
    }
  }

  /** Returns and forgets the warnings seen so far. */
  public static List<String> drain() {
    List<String> seen = List.copyOf(WARNINGS);
    WARNINGS.clear();
    return seen;
  }
}
