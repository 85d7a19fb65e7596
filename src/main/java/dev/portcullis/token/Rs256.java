package dev.portcullis.token;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * RS256 (RSASSA-PKCS1-v1_5 with SHA-256) for one key: signed by OpenSSL when {@link Libcrypto} is given, else,
 * and always verified, with the JDK's {@code java.security}. A {@link Signature} is not thread-safe: an instance
 * belongs to one verticle instance (one event loop), which is how {@link SigningKeys} and
 * {@link VerificationKeys} keep them, so no call waits on a lock.
 */
final class Rs256 {

  private static final String ALGORITHM = "SHA256withRSA";

  private final Signature signature;
  private final PrivateKey privateKey;
  private final Libcrypto.PrivateKey nativeKey;
  private final PublicKey publicKey;

  private Rs256(PrivateKey privateKey, Libcrypto.PrivateKey nativeKey, PublicKey publicKey) {
    this.privateKey = privateKey;
    this.nativeKey = nativeKey;
    this.publicKey = publicKey;
    try {
      this.signature = Signature.getInstance(ALGORITHM);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RS256 unavailable", e);
    }
  }

  /**
   * For signing, from a PKCS#8 PEM ({@code BEGIN PRIVATE KEY}), by OpenSSL when {@code openssl} is present; the
   * caller wipes the PEM.
   */
  static Rs256 signing(byte[] privatePem, Optional<Libcrypto> openssl) {
    byte[] der = der(privatePem);
    try {
      if (openssl.isPresent()) {
        return new Rs256(null, openssl.get().privateKey(der), null);
      }
      return new Rs256(KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der)), null, null);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("not an RSA private key", e);
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /** For verifying, from an X.509 PEM ({@code BEGIN PUBLIC KEY}). */
  static Rs256 verifying(String publicPem) {
    try {
      PublicKey key = KeyFactory.getInstance("RSA")
          .generatePublic(new X509EncodedKeySpec(der(publicPem.getBytes(StandardCharsets.US_ASCII))));
      return new Rs256(null, null, key);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("not an RSA public key", e);
    }
  }

  byte[] sign(byte[] input) {
    if (nativeKey != null) {
      return nativeKey.signSha256(input);
    }
    try {
      signature.initSign(privateKey);
      signature.update(input);
      return signature.sign();
    } catch (InvalidKeyException | SignatureException e) {
      throw new IllegalStateException("RS256 signing failed", e);
    }
  }

  /** False for a wrong or malformed signature, never an exception. */
  boolean verify(byte[] signed, byte[] input) {
    try {
      signature.initVerify(publicKey);
      signature.update(input);
      return signature.verify(signed);
    } catch (InvalidKeyException | SignatureException | RuntimeException malformed) {
      return false;
    }
  }

  /** The DER bytes of a PEM: the base64 between its BEGIN and END lines. */
  private static byte[] der(byte[] pem) {
    StringBuilder body = new StringBuilder(pem.length);
    boolean inside = false;
    for (String line : new String(pem, StandardCharsets.US_ASCII).split("\n")) {
      String trimmed = line.trim();
      if (trimmed.startsWith("-----BEGIN ")) {
        inside = true;
      } else if (trimmed.startsWith("-----END ")) {
        break;
      } else if (inside) {
        body.append(trimmed);
      }
    }
    try {
      return Base64.getDecoder().decode(body.toString());
    } finally {
      body.setLength(0);
    }
  }

  @Override
  public String toString() {
    return "Rs256[" + (publicKey == null ? "signing" : "verifying") + "]";
  }
}
