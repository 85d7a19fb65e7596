package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.portcullis.testing.LogCapture;
import dev.portcullis.testing.TestGateway;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("Libraries that log secrets at detailed levels are held above them")
class LibraryLogLevelsTest {

  @Test
  @DisplayName("with io.vertx.ext.web set to TRACE, the hosted code exchange's URL (auth_code, code_verifier) is not "
      + "logged (probe h80 redeemed a logged pair)")
  void routerTraceHeld() {
    Logger web = (Logger) LoggerFactory.getLogger("io.vertx.ext.web");
    Logger mail = (Logger) LoggerFactory.getLogger("io.vertx.ext.mail");
    web.setLevel(Level.TRACE);
    mail.setLevel(Level.DEBUG);
    String code = "canary-code-" + UUID.randomUUID();
    String verifier = "canary-verifier-" + UUID.randomUUID();
    try (TestGateway gateway = TestGateway.start(); LogCapture log = new LogCapture()) {
      gateway.http().get("/api/client/" + UUID.randomUUID() + "/userinfo?code=" + code + "&code_verifier=" + verifier);
      assertTrue(log.lines().stream().noneMatch(line -> line.contains(code) || line.contains(verifier)),
          "no line carries the code or the verifier");
      assertEquals(Level.DEBUG, web.getEffectiveLevel());
      assertEquals(Level.INFO, mail.getEffectiveLevel());
    } finally {
      web.setLevel(null);
      mail.setLevel(null);
    }
  }
}
