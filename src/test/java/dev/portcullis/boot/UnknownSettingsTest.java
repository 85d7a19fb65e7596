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
    JsonObject config = new JsonObject().put(GatewayConfig.PG_POOL_SIZE, 8)
        .put("PORTCULLIS_PG_POOLSIZE", "s3cret-value-h104").put("PORTCULLIS_DEV_MODE", "true").put("HOME", "/root");
    assertEquals(List.of("PORTCULLIS_DEV_MODE", "PORTCULLIS_PG_POOLSIZE"), UnknownSettings.of(config));
    try (LogCapture log = new LogCapture()) {
      UnknownSettings.warn(config);
      assertTrue(log.lines().stream().anyMatch(line -> line.contains("PORTCULLIS_PG_POOLSIZE is no setting")),
          log.lines().toString());
      assertTrue(log.lines().stream().noneMatch(line -> line.contains("s3cret-value-h104")), log.lines().toString());
    }
  }
}
