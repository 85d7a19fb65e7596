package dev.portcullis.boot;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Libraries whose detailed levels log secrets, held above those levels whatever the logging configuration says:
 * an operator who raises the root (or {@code io.vertx}) level to chase a problem must not write codes to the log.
 * The packaged {@code logback.xml} pins them too; this covers a configuration of the operator's own.
 */
final class LibraryLogLevels {

  private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(LibraryLogLevels.class);

  /** The logger, the most detailed level it may log at, and what it would write below it. */
  private static final Map<String, Level> QUIETEST = Map.of(
      // TRACE: the router's every request URL, the hosted code exchange's auth_code and code_verifier included
      "io.vertx.ext.web", Level.DEBUG,
      // DEBUG: every message the SMTP client sends, its code and full address
      "io.vertx.ext.mail", Level.INFO);

  private LibraryLogLevels() {
  }

  /** Raises each such logger that would log below its floor to the floor; says so once per logger. */
  static void hold() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    QUIETEST.forEach((name, floor) -> {
      Logger logger = context.getLogger(name);
      if (!logger.getEffectiveLevel().isGreaterOrEqual(floor)) {
        logger.setLevel(floor);
        LOG.warn("{} held at {}: at a more detailed level it logs secrets", name, floor);
      }
    });
  }
}
