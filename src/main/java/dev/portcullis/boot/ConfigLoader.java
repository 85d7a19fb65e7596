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
    ConfigRetrieverOptions options = new ConfigRetrieverOptions()
        .setScanPeriod(0)
        .addStore(new ConfigStoreOptions()
            .setType("file")
            .setFormat("yaml")
            .setConfig(new JsonObject().put("path", DEFAULTS_PATH)));
    if (readEnvironment) {
      options.addStore(new ConfigStoreOptions().setType("env").setConfig(new JsonObject().put("raw-data", true)));
    }
    options.addStore(new ConfigStoreOptions().setType("json").setConfig(overrides));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig().eventually(retriever::close);
  }
}
