package dev.portcullis.bench;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The raw RS256 rate of this JVM on all cores: plain threads, each signing (then verifying) JWT-shaped
 * inputs with a 2048-bit key, first by the system's OpenSSL as the gateway signs ({@link OpensslSigner}), then
 * by the JDK's {@code SHA256withRSA} (the gateway's signer until December 2026, and the baseline of the
 * earlier runs). The OpenSSL rate is the ceiling for {@code /auth/refresh} (one signature per refresh) and for
 * OTP verify.
 */
final class SignBench {

  /** Keeps the results of the work observable, so the JIT cannot drop it. */
  static volatile long blackhole;

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final String HEADER = B64.encodeToString(
      "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"5f0c7e2a-1b6d-4c1e-9d7a-0a8f3c2b1e4d\"}".getBytes(StandardCharsets.UTF_8));

  private SignBench() {
  }

  static void main(Args args) throws Throwable {
    int threads = args.integer("threads", Runtime.getRuntime().availableProcessors());
    int warmup = args.integer("warmup", 3);
    int duration = args.integer("duration", 15);
    int verifySeconds = args.integer("verify-seconds", 5);
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair keys = generator.generateKeyPair();

    OpensslSigner openssl = new OpensslSigner(keys.getPrivate().getEncoded());
    byte[] input = signingInput(1).getBytes(StandardCharsets.UTF_8);
    byte[] signature = sign(keys.getPrivate(), input);
    if (!java.util.Arrays.equals(signature, openssl.sign(input))) {
      throw new IllegalStateException("OpenSSL and the JDK disagree on a PKCS#1 v1.5 signature");
    }
    double opensslRate = measure(threads, warmup, duration, () -> opensslSigner(openssl));
    double signRate = measure(threads, warmup, duration, () -> signer(keys.getPrivate()));
    double verifyRate = measure(threads, 1, verifySeconds, () -> verifier(keys.getPublic(), input, signature));

    JsonObject result = new JsonObject()
        .put("threads", threads)
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("duration_s", duration)
        .put("openssl_sign_per_s", Math.round(opensslRate))
        .put("openssl_sign_per_s_per_core", Math.round(opensslRate / threads))
        .put("sign_per_s", Math.round(signRate))
        .put("sign_per_s_per_core", Math.round(signRate / threads))
        .put("verify_per_s", Math.round(verifyRate))
        .put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    System.out.println(result.encodePrettily());
    String out = args.string("out", null);
    if (out != null) {
      Files.writeString(Path.of(out), result.encodePrettily());
    }
  }

  /** One unit of work; returns something so the JIT cannot drop it. */
  interface Op {
    int run() throws Throwable;
  }

  interface OpFactory {
    Op create() throws Exception;
  }

  /** Runs {@code threads} loops for warmup + duration seconds; the rate counts only the measured window. */
  static double measure(int threads, int warmup, int duration, OpFactory factory) throws Exception {
    long start = System.nanoTime();
    long measureFrom = start + warmup * 1_000_000_000L;
    long end = measureFrom + duration * 1_000_000_000L;
    AtomicLong total = new AtomicLong();
    AtomicLong sink = new AtomicLong();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Op op = factory.create();
      Thread worker = new Thread(() -> {
        long counted = 0;
        long blackhole = 0;
        try {
          while (true) {
            blackhole += op.run();
            long now = System.nanoTime();
            if (now >= end) {
              break;
            }
            if (now >= measureFrom) {
              counted++;
            }
          }
        } catch (Throwable e) {
          throw new IllegalStateException(e);
        }
        total.addAndGet(counted);
        sink.addAndGet(blackhole);
      }, "sign-" + t);
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    blackhole = sink.get();
    return total.get() / (double) duration;
  }

  private static Op signer(PrivateKey key) throws Exception {
    Signature signature = Signature.getInstance("SHA256withRSA");
    long[] counter = {0};
    return () -> {
      byte[] input = signingInput(++counter[0]).getBytes(StandardCharsets.UTF_8);
      signature.initSign(key);
      signature.update(input);
      return B64.encodeToString(signature.sign()).length();
    };
  }

  private static Op opensslSigner(OpensslSigner openssl) {
    long[] counter = {0};
    return () -> B64.encodeToString(openssl.sign(signingInput(++counter[0]).getBytes(StandardCharsets.UTF_8))).length();
  }

  private static Op verifier(PublicKey key, byte[] input, byte[] signed) throws Exception {
    Signature signature = Signature.getInstance("SHA256withRSA");
    return () -> {
      signature.initVerify(key);
      signature.update(input);
      return signature.verify(signed) ? 1 : 0;
    };
  }

  private static byte[] sign(PrivateKey key, byte[] input) throws Exception {
    Signature signature = Signature.getInstance("SHA256withRSA");
    signature.initSign(key);
    signature.update(input);
    return signature.sign();
  }

  /** A JWT signing input shaped like a Portcullis access token, different on every call. */
  private static String signingInput(long n) {
    long now = System.currentTimeMillis() / 1000;
    String claims = "{\"iss\":\"http://localhost:8080\",\"sub\":\"0b9f6f44-3c1a-4f0e-8a77-" + String.format("%012d", n % 1_000_000_000_000L)
        + "\",\"aud\":\"bench-app\",\"iat\":" + now + ",\"exp\":" + (now + 900)
        + ",\"jti\":\"" + Long.toHexString(n) + "-jti\",\"sid\":\"6a1d2c3e-9b8f-4e7d-a6c5-b4a392817065\""
        + ",\"app_id\":\"1c2d3e4f-5a6b-7c8d-9e0f-a1b2c3d4e5f6\"}";
    return HEADER + "." + B64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
  }
}
