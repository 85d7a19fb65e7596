package dev.portcullis.boot;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import dev.portcullis.core.GatewayConfig;
import org.slf4j.LoggerFactory;

/**
 * {@code PORTCULLIS_LOG_FORMAT} ({@code json} | {@code text}). Logback reads it from the environment as it
 * starts, before any configuration is loaded; when the merged configuration (e.g. {@code conf/portcullis.yaml})
 * names another format, logging is configured again with it.
 */
public final class LogFormat {

  private LogFormat() {
  }

  /**
   * Before logging starts: logback includes {@code logback-<format>.xml}, so an unknown format would leave it
   * without an appender and the message refusing that format unseen. Logging starts as text then, and the
   * configuration's check stops the start with its message; a known format is lower-cased for the file's name.
   */
  public static void textUnlessKnown() {
    String given = System.getProperty(GatewayConfig.LOG_FORMAT, System.getenv(GatewayConfig.LOG_FORMAT));
    if (given != null) {
      String lower = given.toLowerCase(java.util.Locale.ROOT);
      System.setProperty(GatewayConfig.LOG_FORMAT, lower.equals("json") ? "json" : "text");
    }
  }

  public static void apply(GatewayConfig config) {
    String wanted = config.logFormat();
    String active = System.getProperty(GatewayConfig.LOG_FORMAT, System.getenv(GatewayConfig.LOG_FORMAT));
    if (wanted.equals(active == null ? "text" : active)) {
      return;
    }
    System.setProperty(GatewayConfig.LOG_FORMAT, wanted);
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.reset();
      try {
        new ContextInitializer(context).autoConfig();
      } catch (Exception e) {
        throw new IllegalStateException("cannot configure logging for " + GatewayConfig.LOG_FORMAT + "=" + wanted, e);
      }
    }
  }
}
