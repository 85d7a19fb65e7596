package dev.portcullis.hosted;

import dev.portcullis.core.Secrets;
import java.util.HexFormat;

/** Random values and digests of the hosted pages: flow ids, CSRF tokens, browser keys, authorization codes. */
final class Tokens {

  private Tokens() {
  }

  /** {@code bytes} random bytes from the CSPRNG, base64url without padding. */
  static String random(int bytes) {
    return Secrets.randomToken(bytes);
  }

  static String sha256Hex(String value) {
    return HexFormat.of().formatHex(Secrets.sha256(value));
  }

  /** The PKCE S256 transform: base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2). */
  static String s256(String verifier) {
    return Secrets.base64Url(Secrets.sha256(verifier));
  }
}
