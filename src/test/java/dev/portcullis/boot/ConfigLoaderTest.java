package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The configuration file")
class ConfigLoaderTest {

  private static final String SECRET = "bWFzdGVyLWtleS1vZi10aGUtb3BlcmF0b3I";

  @Test
  @DisplayName("that is not valid YAML stops the start naming the file, the line and the column, never quoting the "
      + "line (h104: it echoed the offending line, which can hold PORTCULLIS_MASTER_KEY)")
  void malformedFileIsNotQuoted() throws Exception {
    Path file = Files.createTempFile("portcullis-bad", ".yaml");
    Files.writeString(file, "PORTCULLIS_HTTP_PORT: 8080\nPORTCULLIS_MASTER_KEY: " + SECRET + ": x\n");
    Vertx vertx = Vertx.vertx();
    try {
      ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> ConfigLoader.loadRaw(vertx, file.toString(), new JsonObject(), false)
              .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
      String message = refused.getCause().getMessage();
      // The parser quotes up to some 80 characters around the mistake, cut with "...": no ten of the secret's.
      for (int i = 0; i + 10 <= SECRET.length(); i++) {
        assertFalse(message.contains(SECRET.substring(i, i + 10)), message);
      }
      assertTrue(message.startsWith(file + ": "), message);
      assertTrue(message.contains("line 2, column"), message);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
      Files.delete(file);
    }
  }
}
