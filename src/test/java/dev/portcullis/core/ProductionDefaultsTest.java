package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Production defaults: https everywhere, owner sign-up closed")
class ProductionDefaultsTest {

  private static JsonObject production() {
    return new JsonObject()
        .put(GatewayConfig.HTTP_PORT, 8080)
        .put(GatewayConfig.MANAGEMENT_PORT, 9090)
        .put(GatewayConfig.HTTP_INSTANCES, 0)
        .put(GatewayConfig.PG_URL, "postgresql://app@db.internal:5432/auth")
        .put(GatewayConfig.PG_POOL_SIZE, 8)
        .put(GatewayConfig.REDIS_URL, "redis://cache:6379")
        .put(GatewayConfig.ISSUER, "https://auth.example.com")
        .put(GatewayConfig.BACKEND_TIMEOUT_MS, 2000)
        .put(GatewayConfig.OTP_EMAIL_CHANNEL, "log")
        .put(GatewayConfig.OTP_SMS_CHANNEL, "log")
        .put(GatewayConfig.ADMIN_KEY, "operator-key-0123456789abcdef")
        .put(GatewayConfig.MASTER_KEY, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  }

  private static void assertRefused(String key, JsonObject json) {
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class, () -> GatewayConfig.from(json));
    assertTrue(failure.getMessage().startsWith(key), failure.getMessage());
  }

  @Test
  @DisplayName("outside dev mode the issuer is required, and refused when plain http to a remote host")
  void issuerRequiredAndHttps() {
    assertRefused(GatewayConfig.ISSUER, production().putNull(GatewayConfig.ISSUER));
    assertRefused(GatewayConfig.ISSUER, production().put(GatewayConfig.ISSUER, ""));
    assertRefused(GatewayConfig.ISSUER, production().put(GatewayConfig.ISSUER, "http://auth.example.com"));
    assertRefused(GatewayConfig.ISSUER, production().put(GatewayConfig.ISSUER, "http://127.evil.example.com"));
    GatewayConfig.from(production().put(GatewayConfig.ISSUER, "http://localhost:8080"));
    GatewayConfig.from(production().put(GatewayConfig.DEV_MODE, true).put(GatewayConfig.ISSUER, "http://auth.local:8080"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://localhost:9000/hook", "http://127.0.0.1/hook", "http://127.1.2.3:81/x",
      "http://[::1]:8000/hook", "https://notify.example.com/hook"})
  @DisplayName("a webhook URL may be https, or plain http to a loopback host")
  void webhookAllowed(String url) {
    GatewayConfig.from(production()
        .put(GatewayConfig.OTP_SMS_CHANNEL, "webhook")
        .put(GatewayConfig.OTP_SMS_WEBHOOK_URL, url)
        .put(GatewayConfig.SECURITY_WEBHOOK_URL, url)
        .put(GatewayConfig.WEBHOOK_SECRET, "webhook-secret-0123456789"));
  }

  @Test
  @DisplayName("outside dev mode a plain http webhook URL to a remote host stops the start, naming the key")
  void webhookHttpsRequired() {
    JsonObject withSecret = production().put(GatewayConfig.WEBHOOK_SECRET, "webhook-secret-0123456789");
    assertRefused(GatewayConfig.OTP_SMS_WEBHOOK_URL, withSecret.copy()
        .put(GatewayConfig.OTP_SMS_CHANNEL, "webhook")
        .put(GatewayConfig.OTP_SMS_WEBHOOK_URL, "http://notify.example.com/sms"));
    assertRefused(GatewayConfig.OTP_EMAIL_WEBHOOK_URL, withSecret.copy()
        .put(GatewayConfig.OTP_EMAIL_CHANNEL, "webhook")
        .put(GatewayConfig.OTP_EMAIL_WEBHOOK_URL, "http://10.0.0.8/email"));
    assertRefused(GatewayConfig.SECURITY_WEBHOOK_URL, withSecret.copy()
        .put(GatewayConfig.SECURITY_WEBHOOK_URL, "http://siem.example.com/in"));
    assertRefused(GatewayConfig.OTP_SMS_WEBHOOK_URL, withSecret.copy()
        .put(GatewayConfig.OTP_SMS_WEBHOOK_URL, "http://notify.example.com/sms")); // set while the channel is log
  }

  @Test
  @DisplayName("the management port may not be the API's: Vert.x would share it between both servers")
  void portsDiffer() {
    assertRefused(GatewayConfig.MANAGEMENT_PORT, production().put(GatewayConfig.HTTP_PORT, 18080)
        .put(GatewayConfig.MANAGEMENT_PORT, 18080));
    GatewayConfig.from(production().put(GatewayConfig.HTTP_PORT, 0).put(GatewayConfig.MANAGEMENT_PORT, 0));
  }

  @Test
  @DisplayName("admission control left blank keeps its default of 256 (h104: an empty variable turned it off)")
  void blankAdmissionControlKeepsItsDefault() {
    assertEquals(256, GatewayConfig.from(production().put(GatewayConfig.HTTP_MAX_IN_FLIGHT, "")).httpMaxInFlight());
    assertEquals(256, GatewayConfig.from(production().put(GatewayConfig.HTTP_MAX_IN_FLIGHT, " ")).httpMaxInFlight());
    assertEquals(0, GatewayConfig.from(production().put(GatewayConfig.HTTP_MAX_IN_FLIGHT, 0)).httpMaxInFlight());
  }

  @Test
  @DisplayName("owner sign-up is closed by default outside dev mode and open in dev mode")
  void ownerSignupDefaults() {
    assertEquals("closed", GatewayConfig.from(production()).ownerSignup());
    assertEquals("open", GatewayConfig.from(production().put(GatewayConfig.DEV_MODE, true)).ownerSignup());
    assertEquals(20, GatewayConfig.from(production()).maxAppsPerOwner());
  }

  @Test
  @DisplayName("closed owner sign-up without an admin key refuses to start, since nobody could create an owner")
  void closedNeedsAdminKey() {
    assertRefused(GatewayConfig.OWNER_SIGNUP, production().putNull(GatewayConfig.ADMIN_KEY));
    GatewayConfig.from(production().putNull(GatewayConfig.ADMIN_KEY).put(GatewayConfig.OWNER_SIGNUP, "open"));
    assertRefused(GatewayConfig.OWNER_ALLOWLIST, production().put(GatewayConfig.OWNER_SIGNUP, "allowlist"));
    assertRefused(GatewayConfig.OWNER_SIGNUP, production().put(GatewayConfig.OWNER_SIGNUP, "sometimes"));
  }
}
