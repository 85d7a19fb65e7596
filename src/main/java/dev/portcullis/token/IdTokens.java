package dev.portcullis.token;

import dev.portcullis.core.messages.TokenMessages.SignIdToken;
import dev.portcullis.core.messages.TokenMessages.SignedIdToken;
import io.vertx.core.Future;

/** {@link dev.portcullis.core.Bus#TOKEN_SIGN_ID_TOKEN}: OpenID Connect ID tokens, signed with the app's current key. */
final class IdTokens {

  private final SigningKeys keys;
  private final TokenMetrics metrics;

  IdTokens(SigningKeys keys, TokenMetrics metrics) {
    this.keys = keys;
    this.metrics = metrics;
  }

  Future<SignedIdToken> sign(SignIdToken request) {
    return keys.current(request.appId()).map(signer -> {
      long started = System.nanoTime();
      String token = signer.signIdToken(request.claims());
      metrics.signed(started);
      return new SignedIdToken(token);
    });
  }
}
