package dev.portcullis.oidc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.audit.AuditTrail;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.hosted.FormBrowser;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.PrometheusText;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Anyone can send an authorization request with an app's public client id and registered redirect URI; refused
 * ones must not cost the operator one audit row each.
 */
@DisplayName("OIDC authorize refusals: one summary per app, network and minute")
class AuthorizeRefusalSummaryTest {

  private static final String CALLBACK = "https://rp.example.com/cb";
  private static final int REFUSALS = 12;
  /** FlowStarts.PER_MINUTE: the flows one network may start in a minute (README, hosted sign-in). */
  private static final int STARTS_PER_MINUTE = 60;

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create()
      .config(GatewayConfig.CLIENT_FAILURE_WINDOW_MS, 5_000);

  private static TestGateway gateway;

  @Test
  @DisplayName("12 refused authorization requests (no PKCE) answer 12 redirects and make one summary row with count 12")
  void refusalsAreSummarised() {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Refused RP").put("slug", "refused-rp")
        .put("callback_urls", new JsonArray(List.of(CALLBACK))));
    UUID appId = UUID.fromString(app.getString("app_id"));
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    String url = "/oidc/" + appId + "/authorize?client_id=" + appId + "&redirect_uri=" + FormBrowser.encode(CALLBACK)
        + "&response_type=code&scope=openid&state=s";
    for (int i = 0; i < REFUSALS; i++) {
      FormBrowser.Page page = browser.get(url);
      assertEquals(302, page.status(), page.toString());
      assertTrue(page.location().startsWith(CALLBACK + "?error=invalid_request"), page.location());
    }
    Await.until("the refusals' summary", Duration.ofSeconds(20), () -> refused(appId).stream()
        .mapToLong(row -> row.getJsonObject("data").getLong("count", 0L)).sum() == REFUSALS);
    List<JsonObject> rows = refused(appId);
    assertTrue(rows.size() <= 3, "one row per window, not one per request: " + rows);
    for (JsonObject row : rows) {
      assertEquals("127.0.0.0/24", row.getJsonObject("data").getString("network"), row.encode());
    }
  }

  @Test
  @DisplayName("authorization requests beyond the network's flow starts get 429 and write no audit row each")
  void startsOverTheLimitWriteNothing() {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Flooded RP").put("slug", "flooded-rp")
        .put("callback_urls", new JsonArray(List.of(CALLBACK))));
    UUID appId = UUID.fromString(app.getString("app_id"));
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    String url = "/oidc/" + appId + "/authorize?client_id=" + appId + "&redirect_uri=" + FormBrowser.encode(CALLBACK)
        + "&response_type=code&scope=openid&state=s&code_challenge_method=S256"
        + "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    String startedSeries = "portcullis_oidc_authorize_total{outcome=\"started\"}";
    double startedBefore = PrometheusText.counter(gateway, startedSeries);
    int limited = 0;
    for (int i = 0; i < STARTS_PER_MINUTE + 10; i++) {
      if (browser.get(url).status() == 429) {
        limited++;
      }
    }
    assertTrue(limited >= 10, limited + " answered 429");
    assertEquals(STARTS_PER_MINUTE + 10 - limited, PrometheusText.counter(gateway, startedSeries) - startedBefore,
        "only the flows that got through are counted as started (h65: the refused ones were too)");
    long started = AuditTrail.rows(gateway, appId).stream()
        .filter(row -> Authorize.STARTED.equals(row.getString("type"))).count();
    assertTrue(started <= STARTS_PER_MINUTE, started + " oidc.authorize rows");
  }

  private static List<JsonObject> refused(UUID appId) {
    return AuditTrail.rows(gateway, appId).stream()
        .filter(row -> Authorize.REFUSED.equals(row.getString("type")))
        .toList();
  }
}
