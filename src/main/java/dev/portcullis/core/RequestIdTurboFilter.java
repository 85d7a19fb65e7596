package dev.portcullis.core;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.MDC;
import org.slf4j.Marker;

/**
 * Puts the current request's id ({@link RequestContext}) into the MDC as {@code request_id} just before a log
 * line is made, on the thread that makes it, and takes it out when no request is running, so a line never
 * carries the id of a request that ran earlier on the same event loop. Configured in {@code logback.xml}.
 */
public final class RequestIdTurboFilter extends TurboFilter {

  public static final String MDC_KEY = "request_id";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level != null && !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
      return FilterReply.NEUTRAL;
    }
    String id = RequestContext.currentId();
    if (id == null) {
      MDC.remove(MDC_KEY);
    } else {
      MDC.put(MDC_KEY, id);
    }
    return FilterReply.NEUTRAL;
  }
}
