package dev.portcullis.core;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Random tokens, keyed hashes and constant-time comparison: the primitives every secret goes through. */
public final class Secrets {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();
  /**
   * One instance per thread, used again: the provider look-up of {@code getInstance} cost more than the HMAC of
   * a licence key itself. {@code init} with the call's key and {@code doFinal}/{@code digest} reset the state,
   * so nothing of one call reaches the next.
   */
  private static final ThreadLocal<Mac> HMAC_SHA256 =
      ThreadLocal.withInitial(() -> instance(() -> Mac.getInstance("HmacSHA256")));
  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(() -> instance(() -> MessageDigest.getInstance("SHA-256")));

  private interface Algorithm<T> {
    T get() throws GeneralSecurityException;
  }

  private static <T> T instance(Algorithm<T> algorithm) {
    try {
      return algorithm.get();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("algorithm unavailable", e);
    }
  }

  private Secrets() {
  }

  /** {@code bytes} random bytes from the CSPRNG, base64url without padding. */
  public static String randomToken(int bytes) {
    return URL.encodeToString(randomBytes(bytes));
  }

  public static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  public static SecureRandom random() {
    return RANDOM;
  }

  public static byte[] hmacSha256(byte[] key, String data) {
    return hmacSha256(key, data.getBytes(StandardCharsets.UTF_8));
  }

  public static byte[] hmacSha256(byte[] key, byte[] data) {
    try {
      Mac mac = HMAC_SHA256.get();
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  public static byte[] sha256(String data) {
    return SHA256.get().digest(data.getBytes(StandardCharsets.UTF_8));
  }

  public static boolean constantTimeEquals(byte[] a, byte[] b) {
    return MessageDigest.isEqual(a, b);
  }

  public static String base64Url(byte[] bytes) {
    return URL.encodeToString(bytes);
  }
}
