package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.PgUrl;
import dev.portcullis.core.Postgres;
import dev.portcullis.testing.TcpProxy;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The JWKS through a Postgres outage")
class JwksOutageTest {

  @Test
  @DisplayName("a verticle that never loaded an app's JWKS answers the one another verticle loaded while Postgres is down")
  void lastLoadedWhilePostgresIsDown() throws Exception {
    PgUrl database = TestBackends.newDatabase();
    try (TcpProxy proxy = TcpProxy.start(database.host(), database.port(), TestBackends.freePort());
         TestGateway gateway = TestGateway.start(new JsonObject().put(GatewayConfig.PG_URL, proxy.pgUrl(database)))) {
      UUID appId = UUID.fromString(gateway.createApp("jwks-outage").getString("app_id"));
      Postgres pg = Postgres.create(gateway.vertx(), gateway.config());
      JwksCache warm = new JwksCache(gateway.vertx(), new SigningKeyStore(pg)).listen(gateway.vertx());
      JsonObject loaded = warm.of(appId).await(10, TimeUnit.SECONDS).orElseThrow();
      UUID unknown = UUID.randomUUID();
      // A change that leaves the keys as they were keeps the copy (h67: a rename dropped it, and the JWKS was 503);
      // a key change, announced after it by the same sender, is seen once the settings change was.
      UUID rotated = UUID.fromString(gateway.createApp("jwks-rotated").getString("app_id"));
      warm.of(rotated).await(10, TimeUnit.SECONDS);
      io.vertx.core.Vertx vertx = gateway.vertx();
      vertx.runOnContext(announce -> {
        dev.portcullis.app.AppDirectory.announce(vertx, appId, "settings");
        dev.portcullis.app.AppDirectory.announce(vertx, rotated, "key");
      });
      dev.portcullis.testing.Await.until("the key change seen", java.time.Duration.ofSeconds(10),
          () -> !warm.keepsLastLoaded(rotated));
      assertTrue(warm.keepsLastLoaded(appId), "the renamed app's copy is kept");

      proxy.cut();
      JwksCache cold = new JwksCache(gateway.vertx(), new SigningKeyStore(pg));
      Optional<JsonObject> served = cold.of(appId).await(10, TimeUnit.SECONDS);
      assertEquals(loaded, served.orElseThrow());
      Throwable failure = cold.of(unknown).toCompletionStage().toCompletableFuture()
          .handle((ok, failed) -> failed).join();
      assertTrue(failure instanceof ApiException api && api.code() == ErrorCode.UNAVAILABLE, String.valueOf(failure));
      proxy.restore();
      pg.close().await(10, TimeUnit.SECONDS);
    }
  }
}
