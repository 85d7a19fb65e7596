package dev.portcullis.token;

import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Secrets;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * One decrypted private signing key of one verticle instance: signs access tokens as JWS compact with the
 * header {@code {"alg":"RS256","typ":"at+jwt","kid":...}}.
 *
 * <p>The header segment is encoded once per key; the signature comes from {@link Rs256} (OpenSSL or the JDK). Vert.x
 * Auth's {@code JWTAuth.generateToken} is not used because it always writes {@code typ: JWT}, and RFC 9068
 * access tokens must say {@code at+jwt}. Each verticle instance keeps its own Signer per key, so event loops
 * never share a {@code Signature}. Not a record, so the key can never reach a log line through toString.
 */
final class Signer {

  static final String ALGORITHM = "RS256";
  static final String TYPE = "at+jwt";
  /** Offline license certificates: a type no access-token check accepts. */
  static final String CERTIFICATE_TYPE = "license+jwt";
  /** OpenID Connect ID tokens: plain JWT, a type no access-token check accepts. */
  static final String ID_TOKEN_TYPE = "JWT";

  private final String kid;
  private final Rs256 rs256;
  private final String headerSegment;
  private final String certificateHeaderSegment;
  private final String idTokenHeaderSegment;

  private Signer(String kid, Rs256 rs256) {
    this.kid = kid;
    this.rs256 = rs256;
    JsonObject header = new JsonObject().put("alg", ALGORITHM).put("typ", TYPE).put("kid", kid);
    this.headerSegment = Secrets.base64Url(header.toBuffer().getBytes());
    JsonObject certificateHeader = header.copy().put("typ", CERTIFICATE_TYPE);
    this.certificateHeaderSegment = Secrets.base64Url(certificateHeader.toBuffer().getBytes());
    JsonObject idTokenHeader = header.copy().put("typ", ID_TOKEN_TYPE);
    this.idTokenHeaderSegment = Secrets.base64Url(idTokenHeader.toBuffer().getBytes());
  }

  /** Decrypts a sealed PKCS#8 PEM (see {@link SigningKeyMaterial}); the plaintext is wiped once parsed. */
  static Signer unseal(MasterKey masterKey, String kid, byte[] sealed, Optional<Libcrypto> openssl) {
    byte[] pem = masterKey.decrypt(sealed, kid);
    try {
      return new Signer(kid, Rs256.signing(pem, openssl));
    } finally {
      Arrays.fill(pem, (byte) 0);
    }
  }

  String kid() {
    return kid;
  }

  String sign(JsonObject claims) {
    return sign(headerSegment, claims);
  }

  String signCertificate(JsonObject claims) {
    return sign(certificateHeaderSegment, claims);
  }

  String signIdToken(JsonObject claims) {
    return sign(idTokenHeaderSegment, claims);
  }

  private String sign(String header, JsonObject claims) {
    String signingInput = header + "." + Secrets.base64Url(claims.toBuffer().getBytes());
    byte[] signature = rs256.sign(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + Secrets.base64Url(signature);
  }

  @Override
  public String toString() {
    return "Signer[" + kid + "]";
  }
}
