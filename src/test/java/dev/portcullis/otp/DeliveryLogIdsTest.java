package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("Code deliveries' log lines")
class DeliveryLogIdsTest {

  private static final Pattern NAMED = Pattern.compile("request ([A-Za-z0-9-]+)\\)");

  @Test
  @DisplayName("carry the id of the request that sent the code, after other requests ran on the same loop")
  void ownRequestId() {
    List<String[]> lines = new CopyOnWriteArrayList<>();
    Logger logger = (Logger) LoggerFactory.getLogger(LogChannel.class);
    AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent event) {
        lines.add(new String[] {event.getMDCPropertyMap().get("request_id"), event.getFormattedMessage()});
      }
    };
    appender.start();
    logger.addAppender(appender);
    try (TestGateway gateway = TestGateway.start()) {
      JsonObject app = gateway.createApp(new JsonObject().put("name", "Log ids").put("slug", "log-ids")
          .put("settings", new JsonObject().put("challenge_required", false)));
      JsonObject client = new JsonObject().put("app_id", app.getString("app_id"))
          .put("app_secret", app.getString("app_secret"));
      for (int i = 0; i < 6; i++) {
        String email = "ids" + i + "@example.com";
        gateway.http().post("/auth/challenge", client.copy().put("purpose", "signup").put("email", email),
            "X-Request-Id", "before-" + i);
        gateway.http().post("/auth/signup", client.copy().put("email", email).put("password", "a long passphrase " + i),
            "X-Request-Id", "signup-" + i);
      }
      Await.until("six deliveries logged", Duration.ofSeconds(10), () -> lines.size() >= 6);
      for (String[] line : lines) {
        Matcher named = NAMED.matcher(line[1]);
        assertTrue(named.find(), line[1]);
        assertEquals(named.group(1), line[0], line[1]);
      }
    } finally {
      logger.detachAppender(appender);
    }
  }
}
