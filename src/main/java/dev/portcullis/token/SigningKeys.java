package dev.portcullis.token;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.MasterKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The current signing key of each app, for one Token verticle instance. Which key is current is re-read when the
 * app changes ({@link #listen}), and at most every {@link #CURRENT_TTL_MS} otherwise; a key is decrypted once per
 * instance and then kept in memory. An app without a key (the console app after migration) gets one,
 * generated on a worker; two processes racing to create it end up with one key.
 */
final class SigningKeys {

  static final long CURRENT_TTL_MS = 1_000;
  private static final int MAX_KEYS = 10_000;

  private final Vertx vertx;
  private final SigningKeyStore store;
  private final MasterKey masterKey;
  private final Optional<Libcrypto> openssl;
  private final TtlCache<UUID, Signer> current = new TtlCache<>(CURRENT_TTL_MS, MAX_KEYS);
  private final Map<String, Signer> unsealed = new HashMap<>();

  /** {@code provider}: what signs (see {@link Libcrypto#forProvider}); fails when OpenSSL is required and absent. */
  SigningKeys(Vertx vertx, SigningKeyStore store, MasterKey masterKey, GatewayConfig.SigningProvider provider) {
    this.vertx = vertx;
    this.store = store;
    this.masterKey = masterKey;
    this.openssl = Libcrypto.forProvider(provider);
  }

  /**
   * Drops an app's current key whenever any process announces a change to the app (a rotation, relayed from
   * other processes too), so the next token is signed with the new key; the TTL bounds a missed announcement.
   */
  SigningKeys listen() {
    Bus.listen(vertx, Bus.APP_CHANGED, changed -> current.forget(changed.appId()));
    Bus.listen(vertx, Bus.APP_CHANGES_MISSED, missed -> current.forgetIf(any -> true));
    return this;
  }

  /** openssl or jdk: what signs with these keys. */
  String provider() {
    return openssl.isPresent() ? "openssl" : "jdk";
  }

  Future<Signer> current(UUID appId) {
    return current.get(appId, this::load);
  }

  private Future<Signer> load(UUID appId) {
    return store.current(appId)
        .compose(sealed -> sealed != null
            ? Future.succeededFuture(sealed)
            : create(appId).compose(created -> store.current(appId)))
        .map(this::signer);
  }

  private Future<Void> create(UUID appId) {
    return vertx.executeBlocking(() -> SigningKeyMaterial.generate(masterKey), false)
        .compose(key -> store.insertIfNone(appId, key))
        // A first key is a key change: every process's JWKS and key caches of the app learn of it.
        .onSuccess(inserted -> AppDirectory.announce(vertx, appId, "key"));
  }

  private Signer signer(SigningKeyStore.Sealed sealed) {
    if (sealed == null) {
      throw new IllegalStateException("no signing key after creating one");
    }
    Signer known = unsealed.get(sealed.kid());
    if (known != null) {
      return known;
    }
    if (unsealed.size() >= MAX_KEYS) {
      unsealed.clear();
    }
    Signer signer = Signer.unseal(masterKey, sealed.kid(), sealed.privateSealed(), openssl);
    unsealed.put(sealed.kid(), signer);
    return signer;
  }
}
