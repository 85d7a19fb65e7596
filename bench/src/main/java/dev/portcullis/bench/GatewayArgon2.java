package dev.portcullis.bench;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The gateway's own Argon2id class ({@code dev.portcullis.password.Argon2id}), loaded from its jar without
 * dependencies ({@code target/original-portcullis.jar}, named by the system property {@value #PROPERTY}) over this
 * JVM's classes, so that JNA and argon2-jvm are this JVM's and loaded once. The raw baseline then hashes exactly as
 * the gateway's hashing pool does, whatever the gateway's class does around libargon2.
 */
final class GatewayArgon2 {

  static final String PROPERTY = "portcullis.bench.gateway-classes";

  private final Constructor<?> parameters;
  private final Method hash;
  private final Method verify;

  private GatewayArgon2(Class<?> argon2id) throws ReflectiveOperationException {
    this.parameters = argon2id.getConstructor(int.class, int.class, int.class);
    this.hash = argon2id.getMethod("hash", String.class);
    this.verify = argon2id.getMethod("verify", String.class, String.class);
  }

  private static GatewayArgon2 loaded;

  /**
   * The gateway's class when the property names a jar that exists; null otherwise (argon2-jvm is used alone). Loaded
   * once per JVM: the paired windows ask again for every window.
   */
  static synchronized GatewayArgon2 load() throws Exception {
    if (loaded == null) {
      loaded = fromJar();
    }
    return loaded;
  }

  private static GatewayArgon2 fromJar() throws Exception {
    String jar = System.getProperty(PROPERTY);
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      return null;
    }
    URLClassLoader loader = new URLClassLoader(new URL[] {Path.of(jar).toUri().toURL()},
        GatewayArgon2.class.getClassLoader());
    return new GatewayArgon2(Class.forName("dev.portcullis.password.Argon2id", true, loader));
  }

  /** A PHC string of {@code password} with those parameters (one lane). */
  String hash(String password, int memoryKib, int iterations) throws Exception {
    return (String) call(hash, parameters.newInstance(memoryKib, iterations, 1), password);
  }

  boolean verify(String password, String phc) throws Exception {
    return (Boolean) call(verify, null, password, phc);
  }

  private static Object call(Method method, Object target, Object... args) throws Exception {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }
}
