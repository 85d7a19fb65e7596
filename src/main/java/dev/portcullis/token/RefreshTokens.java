package dev.portcullis.token;

import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Secrets;

/**
 * Opaque refresh tokens: 256 random bits at login, stored only as their SHA-256. A token's successor is
 * derived from it (HMAC under the master key's refresh key), so the same successor can be handed out again
 * during the reuse grace window without its plaintext ever being stored.
 */
final class RefreshTokens {

  private static final int TOKEN_BYTES = 32;
  /** A token we issue is 43 base64url characters; anything much longer is not worth hashing. */
  static final int MAX_LENGTH = 128;

  private final byte[] refreshKey;

  RefreshTokens(MasterKey masterKey) {
    this.refreshKey = masterKey.refreshKey();
  }

  static String newToken() {
    return Secrets.randomToken(TOKEN_BYTES);
  }

  static byte[] hash(String token) {
    return Secrets.sha256(token);
  }

  String successor(String token) {
    return Secrets.base64Url(Secrets.hmacSha256(refreshKey, token));
  }
}
