package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.portcullis.core.RequestIdTurboFilter;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import dev.portcullis.user.EndUsers;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

@DisplayName("The request id of the reuse detection's log line")
class ReuseLogRequestIdTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().webhook();

  private static TestGateway gateway;
  private static WebhookReceiver inbox;

  /** The request ids of TokenService's warnings, as logback's MDC holds them for each line. */
  private static final class Warnings extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final List<String> requestIds = new CopyOnWriteArrayList<>();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(TokenService.class);

    Warnings() {
      start();
      logger.addAppender(this);
    }

    @Override
    protected void append(ILoggingEvent event) {
      requestIds.add(event.getMDCPropertyMap().get(RequestIdTurboFilter.MDC_KEY));
      lines.add(event.getMDCPropertyMap().get(RequestIdTurboFilter.MDC_KEY) + " " + event.getFormattedMessage());
    }

    @Override
    public void close() {
      logger.detachAppender(this);
      stop();
    }
  }

  @Test
  @DisplayName("is the id of the request that presented the spent token, not of the login that made the session")
  void reuseLineCarriesItsRequest() {
    EndUsers shop = EndUsers.newApp(gateway, inbox, "reuse-log");
    assertEquals(200, shop.http().patch(shop.path(""), new JsonObject().put("settings",
        new JsonObject().put("refresh_reuse_grace_seconds", 0)), EndUsers.ADMIN).status());
    String first = shop.signIn("reuse-log@example.com").getString("refresh_token");
    try (Warnings warnings = new Warnings()) {
      for (int i = 0; i < 4; i++) {
        String token = i == 0 ? first : shop.signIn("reuse-log@example.com").getString("refresh_token");
        JsonObject body = shop.credentials().put("refresh_token", token);
        assertEquals(200, shop.http().post("/auth/refresh", body, "X-Request-Id", "rotate-" + i).status());
        ApiResponse reuse = shop.http().post("/auth/refresh", body, "X-Request-Id", "reuse-" + i);
        assertEquals("refresh_token_reused", reuse.error(), reuse.body());
      }
      assertEquals(List.of("reuse-0", "reuse-1", "reuse-2", "reuse-3"), warnings.requestIds);
    }
  }

  @Test
  @DisplayName("is each racing request's own id when many present one spent token at once")
  void racingReuseLinesCarryTheirOwnRequests() {
    EndUsers shop = EndUsers.newApp(gateway, inbox, "reuse-log-race");
    assertEquals(200, shop.http().patch(shop.path(""), new JsonObject().put("settings",
        new JsonObject().put("refresh_reuse_grace_seconds", 0)), EndUsers.ADMIN).status());
    try (Warnings warnings = new Warnings()) {
      for (int round = 0; round < 3; round++) {
        JsonObject body = shop.credentials()
            .put("refresh_token", shop.signIn("reuse-race@example.com").getString("refresh_token"));
        List<java.util.concurrent.CompletableFuture<ApiResponse>> racers = new java.util.ArrayList<>();
        for (int i = 0; i < 24; i++) {
          racers.add(shop.http().sendAsync("POST", "/auth/refresh", body.encode(), "Content-Type", "application/json",
              "X-Request-Id", "race-" + round + "-" + i));
        }
        racers.forEach(java.util.concurrent.CompletableFuture::join);
      }
      assertTrue(warnings.lines.size() >= 3, warnings.lines.toString());
      for (String line : warnings.lines) {
        String mdc = line.substring(0, line.indexOf(' '));
        assertTrue(line.endsWith("(request " + mdc + ")"), "the line's MDC id is its own request's: " + line);
      }
    }
  }
}
