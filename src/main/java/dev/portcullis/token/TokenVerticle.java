package dev.portcullis.token;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.AppRepository;
import dev.portcullis.app.ClientFailures;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import dev.portcullis.security.SecurityEvents;
import dev.portcullis.user.UserChanges;
import dev.portcullis.user.UserRepository;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.List;

/**
 * Signs access tokens, creates, rotates and revokes sessions and refresh tokens, and introspects access
 * tokens. One instance per core; each keeps its own decrypted keys, so signing never waits on another loop.
 */
public final class TokenVerticle extends VerticleBase {

  private Postgres pg;
  private RedisStore redis;
  private ClientFailures clientFailures;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config);
    redis = RedisStore.create(vertx, config);
    MasterKey masterKey = MasterKey.from(config);
    TokenMetrics metrics = new TokenMetrics(Metrics.registry(vertx));
    SigningKeyStore keyStore = new SigningKeyStore(pg);
    Revocations revocations = new Revocations(redis);
    SigningKeys signingKeys = new SigningKeys(vertx, keyStore, masterKey, config.signingProvider()).listen();
    metrics.signer(signingKeys.provider());
    AccessTokens accessTokens = new AccessTokens(config.issuer(), signingKeys, metrics);
    IdTokens idTokens = new IdTokens(signingKeys, metrics);
    AppDirectory apps = new AppDirectory(new AppRepository(pg), masterKey);
    apps.listen(vertx);
    AuditLog audit = new AuditLog(new Bus(vertx, config));
    TokenService tokens = new TokenService(apps, new SessionStore(pg),
        new UserRepository(pg), new UserChanges(redis), accessTokens, new RefreshTokens(masterKey), revocations,
        audit, metrics, new SecurityEvents(vertx), redis);
    // Tokens presented anonymously over the bus (userinfo, the console, revocation) count made-up kids here.
    clientFailures = new ClientFailures(vertx, redis, audit, config, Metrics.registry(vertx)).start();
    Introspection introspection = Introspection.create(vertx, config, pg, redis, clientFailures);
    return Future.all(List.of(
        Bus.serve(vertx, Bus.TOKEN_ISSUE, tokens::issue).completion(),
        Bus.serve(vertx, Bus.TOKEN_SIGN_IN, tokens::signIn).completion(),
        Bus.serve(vertx, Bus.TOKEN_REFRESH, tokens::refresh).completion(),
        Bus.serve(vertx, Bus.TOKEN_LOGOUT, tokens::logout).completion(),
        Bus.serve(vertx, Bus.TOKEN_REVOKE, tokens::revoke).completion(),
        Bus.serve(vertx, Bus.TOKEN_INTROSPECT, introspection::serve).completion(),
        Bus.serve(vertx, Bus.TOKEN_SIGN_ID_TOKEN, idTokens::sign).completion()));
  }

  @Override
  public Future<?> stop() {
    if (clientFailures != null) {
      clientFailures.stop();
    }
    return Future.join(pg.close(), redis.close());
  }
}
