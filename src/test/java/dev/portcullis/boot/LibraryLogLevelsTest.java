package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.spi.FilterReply;
import dev.portcullis.testing.LogCapture;
import dev.portcullis.testing.TestGateway;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

@DisplayName("Libraries that log secrets at detailed levels are held at INFO")
class LibraryLogLevelsTest {

  @Test
  @DisplayName("a turbo filter of the configuration's own that accepts everything, there before the gateway started, "
      + "does not let the router's TRACE lines through (h87: appended after it, the hold never decided)")
  void aConfigurationsAcceptingFilterComesSecond() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getTurboFilterList().removeIf(LibraryLogLevels.class::isInstance);
    TurboFilter acceptAll = new TurboFilter() {
      @Override
      public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                                Throwable t) {
        return FilterReply.ACCEPT;
      }
    };
    acceptAll.start();
    context.addTurboFilter(acceptAll);
    String code = "canary-accepted-" + UUID.randomUUID();
    try (TestGateway gateway = TestGateway.start(); LogCapture log = new LogCapture()) {
      gateway.http().get("/api/client/" + UUID.randomUUID() + "/userinfo?code=" + code);
      assertTrue(log.lines().stream().noneMatch(line -> line.contains(code)), "no line carries the code");
    } finally {
      context.getTurboFilterList().remove(acceptAll);
    }
  }

  private static final List<String> DETAILED = List.of("io.vertx.ext.web", "io.vertx.ext.web.impl.RouterImpl",
      "io.vertx.ext.web.RoutingContext", "io.vertx.ext.mail");

  @Test
  @DisplayName("with the router's loggers at TRACE, by name or by parent, and after the logging configuration is "
      + "loaded again, no line carries a code, a verifier or an undecodable form field (probes h80, h86)")
  void detailedLevelsHeld() throws Exception {
    String code = "canary-code-" + UUID.randomUUID();
    String verifier = "canary-verifier-" + UUID.randomUUID();
    String formCode = "canary-form-" + UUID.randomUUID();
    try (TestGateway gateway = TestGateway.start()) {
      LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
      // A scanned configuration's reload resets the context, as this does, before it sets its levels.
      context.reset();
      new ContextInitializer(context).autoConfig();
      DETAILED.forEach(name -> ((Logger) LoggerFactory.getLogger(name)).setLevel(Level.TRACE));
      try (LogCapture log = new LogCapture()) {
        gateway.http().get("/api/client/" + UUID.randomUUID() + "/userinfo?code=" + code + "&code_verifier=" + verifier);
        gateway.http().send("POST", "/oidc/" + UUID.randomUUID() + "/token",
            "grant_type=authorization_code&code=" + formCode + "%zz", "Content-Type",
            "application/x-www-form-urlencoded");
        List<String> lines = log.lines();
        assertTrue(lines.stream().noneMatch(line -> line.contains(code) || line.contains(verifier)
            || line.contains(formCode)), "no line carries a secret: " + lines.stream()
            .filter(line -> line.contains("canary")).toList());
      }
    } finally {
      DETAILED.forEach(name -> ((Logger) LoggerFactory.getLogger(name)).setLevel(null));
    }
  }
}
