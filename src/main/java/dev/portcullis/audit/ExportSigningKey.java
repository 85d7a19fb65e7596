package dev.portcullis.audit;

import dev.portcullis.core.Secrets;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The Ed25519 key that signs exported audit months. Its 32-byte private seed is a purpose key of
 * {@code PORTCULLIS_MASTER_KEY} (HMAC-SHA256 of {@code portcullis/audit-export-signing}), so every process
 * with the master key derives the same key and nothing more is stored; the public key is published by
 * {@code java -jar portcullis.jar audit-export-key} and the management port's {@code GET /audit/export-key}.
 * Ed25519 rather than an app's RSA key: an export spans every app, outlives key rotations and app deletion,
 * and its verifier needs one small key that can be pinned once, out of band.
 */
public final class ExportSigningKey {

  static final String ALGORITHM = "Ed25519";
  private static final String PURPOSE = "portcullis/audit-export-signing";

  private final KeyPair pair;

  private ExportSigningKey(KeyPair pair) {
    this.pair = pair;
  }

  static ExportSigningKey fromMasterKey(byte[] masterKey) {
    byte[] seed = Secrets.hmacSha256(masterKey, PURPOSE);
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
      // The JDK derives an Ed25519 key pair from 32 bytes of its random source: handing it the seed makes that
      // derivation deterministic without a library outside the JDK.
      generator.initialize(NamedParameterSpec.ED25519, new SeedAsRandom(seed));
      return new ExportSigningKey(generator.generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 unavailable", e);
    }
  }

  /** {alg, key_id, public_key_pem}: what is published for verifiers to pin. */
  public static JsonObject published(byte[] masterKey) {
    ExportSigningKey key = fromMasterKey(masterKey);
    return new JsonObject().put("alg", ALGORITHM).put("key_id", key.keyId()).put("public_key_pem", key.publicKeyPem());
  }

  PublicKey publicKey() {
    return pair.getPublic();
  }

  String keyId() {
    return keyId(pair.getPublic());
  }

  String publicKeyPem() {
    return pem(pair.getPublic());
  }

  /** Base64url (no padding) of the Ed25519 signature of the text's UTF-8 bytes. */
  String sign(String text) {
    try {
      Signature signature = Signature.getInstance(ALGORITHM);
      signature.initSign(pair.getPrivate());
      signature.update(text.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(signature.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with Ed25519", e);
    }
  }

  static boolean verify(PublicKey key, String text, String signatureBase64Url) {
    if (signatureBase64Url == null) {
      return false;
    }
    try {
      byte[] signed = Base64.getUrlDecoder().decode(signatureBase64Url);
      Signature signature = Signature.getInstance(ALGORITHM);
      signature.initVerify(key);
      signature.update(text.getBytes(StandardCharsets.UTF_8));
      return signature.verify(signed);
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      return false;
    }
  }

  /** The first 16 hex digits of SHA-256 over the key's X.509 (SubjectPublicKeyInfo) encoding. */
  static String keyId(PublicKey key) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  static String pem(PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(key.getEncoded()) + "\n-----END PUBLIC KEY-----\n";
  }

  /** An Ed25519 public key from PEM ({@code BEGIN PUBLIC KEY}) text. */
  static PublicKey parsePem(String pem) {
    String body = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
        .replaceAll("\\s", "");
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(body)));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 public key in PEM form");
    }
  }

  /** A random source that hands out the seed, and refuses to be used for anything longer. */
  private static final class SeedAsRandom extends SecureRandom {

    private final byte[] seed;

    SeedAsRandom(byte[] seed) {
      this.seed = seed.clone();
    }

    @Override
    public void nextBytes(byte[] bytes) {
      if (bytes.length != seed.length) {
        throw new IllegalStateException("unexpected use of the Ed25519 seed");
      }
      System.arraycopy(seed, 0, bytes, 0, bytes.length);
    }
  }
}
