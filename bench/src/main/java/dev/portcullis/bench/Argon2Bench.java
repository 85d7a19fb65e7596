package dev.portcullis.bench;

import com.password4j.Argon2Function;
import com.password4j.types.Argon2;
import de.mkammerer.argon2.Argon2Advanced;
import de.mkammerer.argon2.Argon2Factory;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * The raw Argon2id rate of this JVM on all cores: plain threads, each checking a password against a PHC string
 * with the gateway's parameters and code (its {@code Argon2id} class over argon2-jvm, the reference C
 * implementation; m = 19 MiB, t = 2, p = 1). This is the ceiling for password logins, each of which is one such
 * check on the gateway's hashing pool. {@code --impl argon2-jvm} measures argon2-jvm's own calls (libargon2
 * allocating each hash's memory with malloc), {@code --impl password4j} the pure-Java library the gateway used
 * before.
 */
final class Argon2Bench {

  private Argon2Bench() {
  }

  /**
   * Checks of the bench's password against a PHC string with the gateway's parameters, by the gateway's own class
   * ({@link GatewayArgon2}); by argon2-jvm alone when the gateway's jar is not named.
   */
  static SignBench.OpFactory reference() throws Exception {
    return reference(19_456, 2);
  }

  private static SignBench.OpFactory reference(int memoryKib, int iterations) throws Exception {
    GatewayArgon2 gateway = GatewayArgon2.load();
    if (gateway == null) {
      byte[] salt = new byte[16];
      new SecureRandom().nextBytes(salt);
      return argon2Jvm(Argon2Function.getInstance(memoryKib, iterations, 1, 32, Argon2.ID, 19)
          .hash(Portcullis.PASSWORD.getBytes(StandardCharsets.UTF_8), salt).getResult());
    }
    String phc = gateway.hash(Portcullis.PASSWORD, memoryKib, iterations);
    return () -> () -> gateway.verify(Portcullis.PASSWORD, phc) ? 1 : 0;
  }

  private static SignBench.OpFactory argon2Jvm(String phc) {
    Argon2Advanced argon2 = Argon2Factory.createAdvanced(Argon2Factory.Argon2Types.ARGON2id, 16, 32);
    return () -> () -> argon2.verify(phc, Portcullis.PASSWORD.toCharArray(), StandardCharsets.UTF_8) ? 1 : 0;
  }

  static void main(Args args) throws Exception {
    int threads = args.integer("threads", Runtime.getRuntime().availableProcessors());
    int warmup = args.integer("warmup", 3);
    int duration = args.integer("duration", 15);
    int memoryKib = args.integer("memory-kib", 19_456);
    int iterations = args.integer("iterations", 2);
    String impl = args.string("impl", GatewayArgon2.load() == null ? "argon2-jvm" : "gateway");
    Argon2Function argon2id = Argon2Function.getInstance(memoryKib, iterations, 1, 32, Argon2.ID, 19);
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    byte[] password = Portcullis.PASSWORD.getBytes(StandardCharsets.UTF_8);
    String phc = argon2id.hash(password, salt).getResult();

    double rate = SignBench.measure(threads, warmup, duration, switch (impl) {
      case "password4j" -> () -> () -> Argon2Function.getInstanceFromHash(phc).check(Portcullis.PASSWORD, phc) ? 1 : 0;
      case "argon2-jvm" -> argon2Jvm(phc);
      default -> reference(memoryKib, iterations);
    });

    JsonObject result = new JsonObject()
        .put("impl", impl)
        .put("threads", threads)
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("duration_s", duration)
        .put("parameters", "m=" + memoryKib + ",t=" + iterations + ",p=1")
        .put("checks_per_s", Math.round(rate * 10) / 10.0)
        .put("checks_per_s_per_core", Math.round(rate / threads * 10) / 10.0);
    System.out.println(result.encodePrettily());
    String out = args.string("out", null);
    if (out != null) {
      Files.writeString(Path.of(out), result.encodePrettily());
    }
  }
}
