package dev.portcullis.core;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code PORTCULLIS_MASTER_KEY} and the purpose keys derived from it. Each purpose gets its own key
 * (HMAC-SHA256 of the purpose name), so a key of one purpose never serves another.
 */
public final class MasterKey {

  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final byte[] encryptionKey;
  private final byte[] appSecretKey;
  private final byte[] refreshKey;
  private final byte[] otpKey;
  private final byte[] licenseKey;

  public MasterKey(byte[] master) {
    this.encryptionKey = Secrets.hmacSha256(master, "portcullis/signing-key-encryption");
    this.appSecretKey = Secrets.hmacSha256(master, "portcullis/app-secret");
    this.refreshKey = Secrets.hmacSha256(master, "portcullis/refresh-token");
    this.otpKey = Secrets.hmacSha256(master, "portcullis/otp-code");
    this.licenseKey = Secrets.hmacSha256(master, "portcullis/license-key");
  }

  public static MasterKey from(GatewayConfig config) {
    return new MasterKey(config.masterKey());
  }

  /** What a database records of the key it was first started with: a keyed hash of a fixed label. */
  public static byte[] checkDigest(byte[] master) {
    return Secrets.hmacSha256(master, "portcullis/master-key-check");
  }

  /** Keyed hash an app secret is stored as. */
  public byte[] appSecretHash(String secret) {
    return Secrets.hmacSha256(appSecretKey, secret);
  }

  /** Key for refresh-token derivations (successor tokens). */
  public byte[] refreshKey() {
    return refreshKey.clone();
  }

  /** Key OTP codes are stored under as HMACs. */
  public byte[] otpKey() {
    return otpKey.clone();
  }

  /** Keyed hash a license key is stored and looked up as. */
  public byte[] licenseKeyHash(String scopedKey) {
    return Secrets.hmacSha256(licenseKey, scopedKey);
  }

  /** AES-256-GCM; the output is nonce || ciphertext+tag, bound to {@code context} (e.g. the kid). */
  public byte[] encrypt(byte[] plaintext, String context) {
    byte[] nonce = Secrets.randomBytes(NONCE_BYTES);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encryptionKey, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(context.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plaintext);
      byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
      System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  public byte[] decrypt(byte[] sealed, String context) {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(encryptionKey, "AES"),
          new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
      cipher.updateAAD(context.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot decrypt a signing key: wrong PORTCULLIS_MASTER_KEY?", e);
    }
  }
}
