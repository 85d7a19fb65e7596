package dev.portcullis.boot;

import dev.portcullis.core.GatewayConfig;
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** Loads {@code conf/portcullis.yaml}, then environment variables of the same names, then launcher overrides. */
public final class ConfigLoader {

  public static final String DEFAULTS_PATH = "conf/portcullis.yaml";

  private ConfigLoader() {
  }

  public static Future<GatewayConfig> load(Vertx vertx, JsonObject overrides, boolean readEnvironment) {
    return loadRaw(vertx, overrides, readEnvironment).map(GatewayConfig::from);
  }

  /** The merged configuration before validation. */
  public static Future<JsonObject> loadRaw(Vertx vertx, JsonObject overrides, boolean readEnvironment) {
    return loadRaw(vertx, DEFAULTS_PATH, overrides, readEnvironment);
  }

  static Future<JsonObject> loadRaw(Vertx vertx, String path, JsonObject overrides, boolean readEnvironment) {
    ConfigRetrieverOptions options = new ConfigRetrieverOptions()
        .setScanPeriod(0)
        .addStore(new ConfigStoreOptions()
            .setType("file")
            .setFormat("yaml")
            .setConfig(new JsonObject().put("path", path)));
    if (readEnvironment) {
      options.addStore(new ConfigStoreOptions().setType("env").setConfig(new JsonObject().put("raw-data", true)));
    }
    options.addStore(new ConfigStoreOptions().setType("json").setConfig(overrides));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .recover(failure -> Future.failedFuture(new IllegalStateException(path + ": " + withoutQuotedLines(failure))))
        .eventually(retriever::close);
  }

  /**
   * The YAML parser's message without the lines it quotes from the file (indented four spaces, each followed by a
   * caret line): the line a mistake is on may hold a secret ({@code PORTCULLIS_MASTER_KEY: ...}), and this message
   * goes to the log. What is left names the problem, its line and its column.
   */
  static String withoutQuotedLines(Throwable failure) {
    String message = String.valueOf(failure.getMessage());
    StringBuilder kept = new StringBuilder();
    for (String line : message.split("\n")) {
      if (line.startsWith("    ") || line.isBlank()) {
        continue;
      }
      kept.append(kept.isEmpty() ? "" : " ").append(line.trim());
    }
    return kept.toString();
  }
}
