package dev.portcullis.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/** Every log line of the JVM while it is open (formatted message plus any exception text). */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  public LogCapture() {
    setName("test-capture");
    start();
    root.addAppender(this);
  }

  @Override
  protected void append(ILoggingEvent event) {
    String thrown = event.getThrowableProxy() == null ? "" : " " + event.getThrowableProxy().getMessage();
    lines.add(event.getLoggerName() + " " + event.getFormattedMessage() + thrown);
  }

  public List<String> lines() {
    return List.copyOf(lines);
  }

  @Override
  public void close() {
    root.detachAppender(this);
    stop();
  }
}
