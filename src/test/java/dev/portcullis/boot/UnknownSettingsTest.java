package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.LogCapture;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PORTCULLIS_* variables that name no setting are warned about, by name only")
class UnknownSettingsTest {

  private static final Pattern NAME = Pattern.compile("\"(PORTCULLIS_[A-Z0-9_]+)\"");

  private static GatewayConfig config(JsonObject extra) {
    return GatewayConfig.from(new JsonObject()
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
        .put(GatewayConfig.MASTER_KEY, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        .mergeIn(extra));
  }

  @Test
  @DisplayName("the known names are exactly the PORTCULLIS_* names the source reads")
  void knownNamesAreTheSources() throws IOException {
    Set<String> read = new TreeSet<>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      files.filter(file -> file.toString().endsWith(".java") && !file.endsWith("UnknownSettings.java"))
          .forEach(file -> {
            try {
              Matcher names = NAME.matcher(Files.readString(file));
              while (names.find()) {
                read.add(names.group(1));
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    }
    assertEquals(read, new TreeSet<>(UnknownSettings.KNOWN));
  }

  @Test
  @DisplayName("a misspelt name is logged at start, its value never; known names and other variables are not")
  void misspeltNameWarned() {
    GatewayConfig config = config(new JsonObject().put("PORTCULLIS_PG_POOLSIZE", "s3cret-value-h104")
        .put("PORTCULLIS_DEV_MODE", "true").put("HOME", "/root"));
    assertEquals(List.of("PORTCULLIS_DEV_MODE", "PORTCULLIS_PG_POOLSIZE"), UnknownSettings.of(config));
    try (LogCapture log = new LogCapture()) {
      UnknownSettings.warn(config);
      assertTrue(log.lines().stream().anyMatch(line -> line.contains("PORTCULLIS_PG_POOLSIZE is no setting")),
          log.lines().toString());
      assertTrue(log.lines().stream().noneMatch(line -> line.contains("s3cret-value-h104")), log.lines().toString());
    }
  }
}
