package dev.portcullis.token;

import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Secrets;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;

/**
 * A freshly generated RSA-2048 signing key: its kid, its public key as X.509 PEM, and its private key as
 * PKCS#8 PEM sealed under the master key. Generating one takes tens of milliseconds: call it on a worker.
 */
public record SigningKeyMaterial(String kid, String publicPem, byte[] privateSealed) {

  public static SigningKeyMaterial generate(MasterKey masterKey) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048, Secrets.random());
      KeyPair pair = generator.generateKeyPair();
      String kid = Secrets.randomToken(16);
      String publicPem = pem("PUBLIC KEY", pair.getPublic().getEncoded());
      String privatePem = pem("PRIVATE KEY", pair.getPrivate().getEncoded());
      byte[] sealed = masterKey.encrypt(privatePem.getBytes(StandardCharsets.UTF_8), kid);
      return new SigningKeyMaterial(kid, publicPem, sealed);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA key generation unavailable", e);
    }
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }
}
