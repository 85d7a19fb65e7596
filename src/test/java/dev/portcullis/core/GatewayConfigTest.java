package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Configuration validation")
class GatewayConfigTest {

  private static JsonObject valid() {
    return new JsonObject()
        .put(GatewayConfig.HTTP_PORT, "8080")
        .put(GatewayConfig.MANAGEMENT_PORT, 9090)
        .put(GatewayConfig.HTTP_INSTANCES, 0)
        .put(GatewayConfig.PG_URL, "postgresql://app:s%40cret@db.internal:5433/auth")
        .put(GatewayConfig.PG_POOL_SIZE, 8)
        .put(GatewayConfig.REDIS_URL, "redis://cache:6379")
        .put(GatewayConfig.ISSUER, "https://auth.example.com")
        .put(GatewayConfig.BACKEND_TIMEOUT_MS, 2000)
        .put(GatewayConfig.OTP_EMAIL_CHANNEL, "log")
        .put(GatewayConfig.OTP_SMS_CHANNEL, "log")
        .put(GatewayConfig.MASTER_KEY, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        .put(GatewayConfig.ADMIN_KEY, "operator-key-0123456789abcdef");
  }

  @Test
  @DisplayName("a valid configuration parses, including a password with an escaped character")
  void validParses() {
    GatewayConfig config = GatewayConfig.from(valid());
    assertEquals(8080, config.httpPort());
    assertEquals("s@cret", config.pgUrl().password());
    assertEquals("auth", config.pgUrl().database());
    assertEquals(5433, config.pgUrl().port());
  }

  @Test
  @DisplayName("production mode refuses to start without a master key, naming the key")
  void masterKeyRequired() {
    JsonObject json = valid();
    json.remove(GatewayConfig.MASTER_KEY);
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class, () -> GatewayConfig.from(json));
    assertTrue(failure.getMessage().contains("PORTCULLIS_MASTER_KEY"), failure.getMessage());
  }

  @Test
  @DisplayName("a master key of the wrong length is refused")
  void masterKeyLength() {
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.from(valid().put(GatewayConfig.MASTER_KEY, "c2hvcnQ=")));
    assertTrue(failure.getMessage().contains("PORTCULLIS_MASTER_KEY"), failure.getMessage());
  }

  @Test
  @DisplayName("a bad port, URL or channel names its key")
  void badValuesNameTheirKey() {
    assertNamed(GatewayConfig.HTTP_PORT, valid().put(GatewayConfig.HTTP_PORT, "eighty"));
    assertNamed(GatewayConfig.PG_URL, valid().put(GatewayConfig.PG_URL, "mysql://x/y"));
    assertNamed(GatewayConfig.REDIS_URL, valid().put(GatewayConfig.REDIS_URL, "http://cache"));
    assertNamed(GatewayConfig.REDIS_URL, valid().put(GatewayConfig.REDIS_URL, "redis://cache:6379/abc"));
    assertNamed(GatewayConfig.REDIS_URL, valid().put(GatewayConfig.REDIS_URL, "redis://cache:99999"));
    assertNamed(GatewayConfig.PG_URL, valid().put(GatewayConfig.PG_URL, "postgresql://u@db:99999/portcullis"));
    assertNamed(GatewayConfig.PG_URL, valid().put(GatewayConfig.PG_URL,
        "postgresql://portcullis:CHANGE-ME@postgres:5432/portcullis"));
    assertNamed(GatewayConfig.CLIENT_FAILURE_WINDOW_MS, valid().put(GatewayConfig.CLIENT_FAILURE_WINDOW_MS, 10));
    assertNamed(GatewayConfig.OTP_DELIVERY_BACKOFF_MS, valid().put(GatewayConfig.OTP_DELIVERY_BACKOFF_MS, "soon"));
    JsonObject smtp = valid().put(GatewayConfig.OTP_EMAIL_CHANNEL, "smtp").put(GatewayConfig.SMTP_HOST, "mail")
        .put(GatewayConfig.SMTP_PORT, 587);
    assertNamed(GatewayConfig.SMTP_FROM, smtp.copy().put(GatewayConfig.SMTP_FROM, "not an email"));
    assertNamed(GatewayConfig.SMTP_PORT, smtp.copy().put(GatewayConfig.SMTP_FROM, "a@b.example").put(GatewayConfig.SMTP_PORT, 0));
    GatewayConfig.from(smtp.copy().put(GatewayConfig.SMTP_FROM, "Shop <no-reply@shop.example.com>"));
    for (String host : new String[] {"http://mail.example.com", "mail.example.com:587", "smtp://mail", "mail/x", ""}) {
      assertNamed(GatewayConfig.SMTP_HOST, smtp.copy().put(GatewayConfig.SMTP_FROM, "a@b.example")
          .put(GatewayConfig.SMTP_HOST, host));
    }
    for (String host : new String[] {"smtp.eu-west-1.amazonaws.com", "10.0.0.25", "::1", "mail-relay"}) {
      GatewayConfig.from(smtp.copy().put(GatewayConfig.SMTP_FROM, "a@b.example").put(GatewayConfig.SMTP_HOST, host));
    }
    assertEquals(java.util.List.of("redis://cache:6379/2"),
        GatewayConfig.from(valid().put(GatewayConfig.REDIS_URL, "redis://cache:6379/2")).redisNodes());
    assertNamed(GatewayConfig.OTP_SMS_CHANNEL, valid().put(GatewayConfig.OTP_SMS_CHANNEL, "smtp"));
    assertNamed(GatewayConfig.OTP_EMAIL_WEBHOOK_URL, valid().put(GatewayConfig.OTP_EMAIL_CHANNEL, "webhook"));
    assertNamed(GatewayConfig.ADMIN_KEY, valid().put(GatewayConfig.ADMIN_KEY, "CHANGE-ME"));
    // A long placeholder is told as one (h88: the length rule was given instead).
    IllegalArgumentException placeholder = assertThrows(IllegalArgumentException.class, () -> GatewayConfig.from(
        valid().put(GatewayConfig.ADMIN_KEY, "ADMINkeyCHANGE-ME-0123456789abc")));
    assertTrue(placeholder.getMessage().contains("CHANGE-ME placeholder"), placeholder.getMessage());
    JsonObject mail = smtp.copy().put(GatewayConfig.SMTP_FROM, "a@b.example");
    assertNamed(GatewayConfig.SMTP_PASSWORD, mail.copy().put(GatewayConfig.SMTP_USERNAME, "u")
        .put(GatewayConfig.SMTP_PASSWORD, "CHANGE-ME"));
    assertNamed(GatewayConfig.SMTP_PASSWORD, mail.copy().put(GatewayConfig.SMTP_PASSWORD, "secret-without-user"));
    GatewayConfig.from(mail.copy().put(GatewayConfig.SMTP_USERNAME, "u").put(GatewayConfig.SMTP_PASSWORD, "pw"));
    assertNamed(GatewayConfig.ADMIN_KEY, valid().put(GatewayConfig.ADMIN_KEY, "short"));
    assertNamed(GatewayConfig.REDIS_PREFIX, valid().put(GatewayConfig.REDIS_PREFIX, "pc{"));
    assertNamed(GatewayConfig.REDIS_PREFIX, valid().put(GatewayConfig.REDIS_PREFIX, "pc}:"));
    for (String issuer : new String[] {"https://auth.example.com/base?tenant=1", "https://auth.example.com/#x",
        "https://user:pw@auth.example.com"}) {
      assertNamed(GatewayConfig.ISSUER, valid().put(GatewayConfig.ISSUER, issuer));
    }
    assertEquals("https://auth.example.com/base",
        GatewayConfig.from(valid().put(GatewayConfig.ISSUER, "https://auth.example.com/base")).issuer());
  }

  private static void assertNamed(String key, JsonObject json) {
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class, () -> GatewayConfig.from(json));
    assertTrue(failure.getMessage().contains(key), failure.getMessage());
  }

  @Test
  @DisplayName("a Postgres URL never prints its password, so it cannot reach a log line by accident")
  void pgUrlHidesPassword() {
    PgUrl url = GatewayConfig.from(valid()).pgUrl();
    assertFalse(url.toString().contains("cret"), url.toString());
    assertEquals("postgresql://app@db.internal:5433/auth", url.toString());
  }

  @Test
  @DisplayName("Redis defaults to one standalone server and the Sentinel master name mymaster")
  void redisDefaults() {
    GatewayConfig config = GatewayConfig.from(valid());
    assertEquals(GatewayConfig.RedisMode.STANDALONE, config.redisMode());
    assertEquals(java.util.List.of("redis://cache:6379"), config.redisNodes());
    assertEquals("mymaster", config.redisMasterName());
  }

  @Test
  @DisplayName("sentinel and cluster modes take a comma-separated list of nodes")
  void redisNodeLists() {
    GatewayConfig config = GatewayConfig.from(valid()
        .put(GatewayConfig.REDIS_MODE, "Sentinel")
        .put(GatewayConfig.REDIS_URL, "redis://s1:26379, redis://s2:26379,redis://s3:26379")
        .put(GatewayConfig.REDIS_MASTER_NAME, "auth"));
    assertEquals(GatewayConfig.RedisMode.SENTINEL, config.redisMode());
    assertEquals(java.util.List.of("redis://s1:26379", "redis://s2:26379", "redis://s3:26379"), config.redisNodes());
    assertEquals("auth", config.redisMasterName());
  }

  @Test
  @DisplayName("the RS256 signer is OpenSSL when it loads unless configured; an unknown provider names its key")
  void signingProvider() {
    assertEquals(GatewayConfig.SigningProvider.AUTO, GatewayConfig.from(valid()).signingProvider());
    assertEquals(GatewayConfig.SigningProvider.JDK,
        GatewayConfig.from(valid().put(GatewayConfig.SIGNING_PROVIDER, "JDK")).signingProvider());
    assertNamed(GatewayConfig.SIGNING_PROVIDER, valid().put(GatewayConfig.SIGNING_PROVIDER, "bouncycastle"));
  }

  @Test
  @DisplayName("an unknown Redis mode, a node list in standalone mode or a bad node names its key")
  void badRedisTopology() {
    assertNamed(GatewayConfig.REDIS_MODE, valid().put(GatewayConfig.REDIS_MODE, "replicated"));
    assertNamed(GatewayConfig.REDIS_URL, valid().put(GatewayConfig.REDIS_URL, "redis://a:6379,redis://b:6379"));
    assertNamed(GatewayConfig.REDIS_URL, valid().put(GatewayConfig.REDIS_MODE, "cluster")
        .put(GatewayConfig.REDIS_URL, "redis://a:6379,b:6379"));
  }
}
