package dev.portcullis.chaos;

import io.vertx.core.json.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Every answer the clients saw, one JSON line each: when it was sent ({@code t}, epoch ms), how long it took
 * ({@code ms}), the operation, our {@code X-Request-Id}, the status ({@code -1}: no answer), the error code,
 * and what the answer proved (session id, SHA-256 of the refresh token handed out, the code consumed).
 */
final class Ledger implements AutoCloseable {

  private final BufferedWriter out;

  Ledger(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  synchronized void record(JsonObject entry) {
    try {
      out.write(entry.encode());
      out.write('\n');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<JsonObject> read(List<Path> files) {
    List<JsonObject> entries = new ArrayList<>();
    for (Path file : files) {
      try {
        for (String line : Files.readAllLines(file)) {
          if (!line.isBlank()) {
            entries.add(new JsonObject(line));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return entries;
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
