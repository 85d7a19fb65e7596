package dev.portcullis.token;

import dev.portcullis.core.Secrets;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/** An app's public keys as a JWK Set (RFC 7517): kty, n, e, kid, alg, use of each. */
final class Jwks {

  private Jwks() {
  }

  static JsonObject of(List<SigningKeyStore.Published> keys) {
    JsonArray array = new JsonArray();
    keys.forEach(key -> array.add(jwk(key.kid(), key.publicPem())));
    return new JsonObject().put("keys", array);
  }

  static JsonObject jwk(String kid, String publicPem) {
    RSAPublicKey key = parse(publicPem);
    return new JsonObject()
        .put("kty", "RSA")
        .put("use", "sig")
        .put("alg", Signer.ALGORITHM)
        .put("kid", kid)
        .put("n", unsigned(key.getModulus()))
        .put("e", unsigned(key.getPublicExponent()));
  }

  private static RSAPublicKey parse(String pem) {
    String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    try {
      return (RSAPublicKey) KeyFactory.getInstance("RSA")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(body)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("a stored public key is not an RSA key", e);
    }
  }

  /** Base64url of the big-endian magnitude, without the sign byte BigInteger may add. */
  private static String unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return Secrets.base64Url(bytes);
  }
}
