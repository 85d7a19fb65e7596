package dev.portcullis.boot;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.List;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Libraries whose detailed levels log secrets, held at INFO whatever the logging configuration says: an operator who
 * raises the root, {@code io.vertx} or one of their own loggers to chase a problem must not write codes to the log.
 * At TRACE the router logs every request URL (the hosted code exchange's {@code auth_code} and
 * {@code code_verifier}); at DEBUG it logs a form's undecodable field whole ({@code code=...%zz}), and the SMTP client
 * every message it sends. A turbo filter, so a logger below these that a configuration sets on its own is held too;
 * put back after every reconfiguration (a scanned file's reload resets the context). The packaged
 * {@code logback.xml} names them as well.
 */
final class LibraryLogLevels extends TurboFilter {

  private static final List<String> HELD = List.of("io.vertx.ext.web", "io.vertx.ext.mail");

  private LibraryLogLevels() {
  }

  /** Installs the filter in the logging context, once, and keeps it there across resets. */
  static void hold() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    synchronized (LibraryLogLevels.class) {
      if (context.getTurboFilterList().stream().noneMatch(LibraryLogLevels.class::isInstance)) {
        install(context);
      }
      if (context.getCopyOfListenerList().stream().noneMatch(Reinstall.class::isInstance)) {
        context.addListener(new Reinstall());
      }
    }
  }

  private static void install(LoggerContext context) {
    LibraryLogLevels filter = new LibraryLogLevels();
    filter.setContext(context);
    filter.start();
    // First: a turbo filter of the configuration's own that answers ACCEPT (a DynamicThresholdFilter, say) would
    // otherwise decide before this one.
    context.getTurboFilterList().add(0, filter);
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level == null || level.isGreaterOrEqual(Level.INFO)) {
      return FilterReply.NEUTRAL;
    }
    String name = logger.getName();
    for (String held : HELD) {
      if (name.startsWith(held) && (name.length() == held.length() || name.charAt(held.length()) == '.')) {
        return FilterReply.DENY;
      }
    }
    return FilterReply.NEUTRAL;
  }

  /** Puts the filter back after a reset, which empties the context's turbo filters. */
  private static final class Reinstall implements LoggerContextListener {

    @Override
    public boolean isResetResistant() {
      return true;
    }

    @Override
    public void onReset(LoggerContext context) {
      install(context);
    }

    @Override
    public void onStart(LoggerContext context) {
    }

    @Override
    public void onStop(LoggerContext context) {
    }

    @Override
    public void onLevelChange(Logger logger, Level level) {
    }
  }
}
