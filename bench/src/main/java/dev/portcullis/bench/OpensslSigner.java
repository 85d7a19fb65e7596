package dev.portcullis.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * RS256 by the system's OpenSSL 3 through the foreign function API, calling what the gateway's
 * {@code token.Libcrypto} calls, per signature: a digest context, EVP_DigestSignInit, EVP_DigestSign.
 */
final class OpensslSigner {

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBRARY = SymbolLookup.libraryLookup("libcrypto.so.3", Arena.global());
  private static final MethodHandle FROM_DER = handle("d2i_AutoPrivateKey",
      FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
  private static final MethodHandle CONTEXT_NEW = handle("EVP_MD_CTX_new", FunctionDescriptor.of(ADDRESS));
  private static final MethodHandle CONTEXT_FREE = handle("EVP_MD_CTX_free", FunctionDescriptor.ofVoid(ADDRESS));
  private static final MethodHandle SIGN_INIT = handle("EVP_DigestSignInit",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
  private static final MethodHandle SIGN = handle("EVP_DigestSign",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
  private static final MethodHandle SHA256 = handle("EVP_sha256", FunctionDescriptor.of(ADDRESS));

  private final MemorySegment key;
  private final MemorySegment sha256;

  /** {@code pkcs8}: an RSA private key's DER; kept in OpenSSL for the life of the process (a benchmark). */
  OpensslSigner(byte[] pkcs8) throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment cursor = arena.allocateFrom(ADDRESS, arena.allocateFrom(JAVA_BYTE, pkcs8));
      key = (MemorySegment) FROM_DER.invokeExact(MemorySegment.NULL, cursor, (long) pkcs8.length);
    }
    if (key.equals(MemorySegment.NULL)) {
      throw new IllegalArgumentException("OpenSSL could not read the key");
    }
    sha256 = (MemorySegment) SHA256.invokeExact();
  }

  byte[] sign(byte[] input) throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = arena.allocateFrom(JAVA_BYTE, input);
      MemorySegment signature = arena.allocate(512);
      MemorySegment length = arena.allocateFrom(JAVA_LONG, 512L);
      MemorySegment context = (MemorySegment) CONTEXT_NEW.invokeExact();
      try {
        if ((int) SIGN_INIT.invokeExact(context, MemorySegment.NULL, sha256, MemorySegment.NULL, key) != 1
            || (int) SIGN.invokeExact(context, signature, length, data, (long) input.length) != 1) {
          throw new IllegalStateException("EVP_DigestSign failed");
        }
      } finally {
        CONTEXT_FREE.invokeExact(context);
      }
      return signature.asSlice(0, length.get(JAVA_LONG, 0)).toArray(JAVA_BYTE);
    }
  }

  private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(LIBRARY.find(name).orElseThrow(), descriptor);
  }
}
