package dev.portcullis.token;

import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Secrets;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.impl.jose.JWK;
import io.vertx.ext.auth.impl.jose.JWS;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One decrypted private signing key of one verticle instance: signs access tokens as JWS compact with the
 * header {@code {"alg":"RS256","typ":"at+jwt","kid":...}}.
 *
 * <p>The signature comes from Vert.x Auth's JOSE {@link JWS}. Its {@code JWTAuth.generateToken} is not used
 * because it always writes {@code typ: JWT}, and RFC 9068 access tokens must say {@code at+jwt}. A JWS locks
 * its own {@code Signature} while signing, so each verticle instance keeps its own Signer per key: event loops
 * never wait on each other. Not a record, so the key can never reach a log line through toString.
 */
final class Signer {

  static final String ALGORITHM = "RS256";
  static final String TYPE = "at+jwt";
  /** Offline license certificates: a type no access-token check accepts. */
  static final String CERTIFICATE_TYPE = "license+jwt";

  private final String kid;
  private final JWS jws;
  private final String headerSegment;
  private final String certificateHeaderSegment;

  private Signer(String kid, JWS jws) {
    this.kid = kid;
    this.jws = jws;
    JsonObject header = new JsonObject().put("alg", ALGORITHM).put("typ", TYPE).put("kid", kid);
    this.headerSegment = Secrets.base64Url(header.toBuffer().getBytes());
    JsonObject certificateHeader = header.copy().put("typ", CERTIFICATE_TYPE);
    this.certificateHeaderSegment = Secrets.base64Url(certificateHeader.toBuffer().getBytes());
  }

  /** Decrypts a sealed PKCS#8 PEM (see {@link SigningKeyMaterial}); the plaintext is wiped once parsed. */
  static Signer unseal(MasterKey masterKey, String kid, byte[] sealed) {
    byte[] pem = masterKey.decrypt(sealed, kid);
    try {
      JWK jwk = new JWK(new PubSecKeyOptions().setAlgorithm(ALGORITHM).setId(kid).setBuffer(Buffer.buffer(pem)));
      return new Signer(kid, new JWS(jwk));
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

  private String sign(String header, JsonObject claims) {
    String signingInput = header + "." + Secrets.base64Url(claims.toBuffer().getBytes());
    byte[] signature = jws.sign(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + Secrets.base64Url(signature);
  }

  @Override
  public String toString() {
    return "Signer[" + kid + "]";
  }
}
