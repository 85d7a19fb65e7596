package dev.portcullis.token;

import dev.portcullis.app.App;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Signs offline license certificates with the app's current signing key: compact JWS, header
 * {@code {"alg":"RS256","typ":"license+jwt","kid":...}}, {@code iss} this gateway, {@code aud}
 * {@code <slug>:license}. Neither the type nor the audience is one an access-token check accepts, so a
 * certificate can never stand in for an access token. One per verticle instance, like the token signers.
 */
public final class LicenseCertificates {

  public static final String AUDIENCE_SUFFIX = ":license";

  private final String issuer;
  private final SigningKeyStore store;
  private final SigningKeys keys;

  public LicenseCertificates(Vertx vertx, GatewayConfig config, Postgres pg, MasterKey masterKey) {
    this.issuer = config.issuer();
    this.store = new SigningKeyStore(pg);
    this.keys = new SigningKeys(vertx, store, masterKey, config.signingProvider()).listen();
  }

  /**
   * Adds iss, aud and iat to the license's own claims (sub, did, fpr, ent, lic_exp, exp) and signs them. A
   * certificate lives for days, far past the access tokens a key rotation keeps the old key published for: its
   * key is kept in the JWKS until the certificate's exp before it is answered.
   */
  public Future<String> sign(App app, JsonObject claims, long issuedAtEpochSecond) {
    JsonObject all = claims.copy()
        .put("iss", issuer)
        .put("aud", app.slug() + AUDIENCE_SUFFIX)
        .put("iat", issuedAtEpochSecond);
    return keys.current(app.id()).compose(signer -> {
      String certificate = signer.signCertificate(all);
      return store.keepPublishedUntil(app.id(), signer.kid(), claims.getLong("exp")).map(certificate);
    });
  }
}
