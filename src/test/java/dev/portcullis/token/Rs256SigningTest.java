package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.core.GatewayConfig;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RS256 signing by OpenSSL and by the JDK")
class Rs256SigningTest {

  private static KeyPair rsa;
  private static Libcrypto openssl;

  @BeforeAll
  static void keyAndLibrary() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    rsa = generator.generateKeyPair();
    Optional<Libcrypto> system = Libcrypto.forProvider(GatewayConfig.SigningProvider.AUTO);
    if ("true".equals(System.getenv("CI"))) {
      assertTrue(system.isPresent(), "CI machines have OpenSSL 3: " + Libcrypto.LIBRARY + " must load");
    }
    assumeTrue(system.isPresent(), Libcrypto.LIBRARY + " does not load here: the OpenSSL tests skip");
    openssl = system.get();
  }

  @Test
  @DisplayName("OpenSSL's signature is the JDK's, byte for byte, and the public key verifies it")
  void sameSignatureAsTheJdk() throws Exception {
    byte[] pem = pem("PRIVATE KEY", rsa.getPrivate().getEncoded());
    Rs256 byOpenssl = Rs256.signing(pem, Optional.of(openssl));
    Rs256 byJdk = Rs256.signing(pem, Optional.empty());
    for (String input : new String[] {"", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0", "x".repeat(10_000)}) {
      byte[] bytes = input.getBytes(StandardCharsets.US_ASCII);
      byte[] signed = byOpenssl.sign(bytes);
      assertEquals(256, signed.length);
      assertArrayEquals(byJdk.sign(bytes), signed, "PKCS#1 v1.5 signatures are deterministic");
      Signature verifier = Signature.getInstance("SHA256withRSA");
      verifier.initVerify(rsa.getPublic());
      verifier.update(bytes);
      assertTrue(verifier.verify(signed));
    }
  }

  @Test
  @DisplayName("jdk in the configuration keeps OpenSSL out; openssl answers the library")
  void providerChoice() {
    assertTrue(Libcrypto.forProvider(GatewayConfig.SigningProvider.JDK).isEmpty());
    assertEquals(openssl, Libcrypto.forProvider(GatewayConfig.SigningProvider.OPENSSL).orElseThrow());
    assertTrue(openssl.version().startsWith("OpenSSL 3"), openssl.version());
  }

  @Test
  @DisplayName("a library that is not there is reported absent, not thrown")
  void missingLibrary() {
    assertTrue(Libcrypto.load("libcrypto-not-installed.so.9").isEmpty());
  }

  @Test
  @DisplayName("OpenSSL refuses a key that is not RSA and bytes that are not a key")
  void notAnRsaKey() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    byte[] ec = generator.generateKeyPair().getPrivate().getEncoded();
    assertEquals("OpenSSL: not an RSA key",
        assertThrows(IllegalStateException.class, () -> openssl.privateKey(ec)).getMessage());
    assertThrows(IllegalStateException.class, () -> openssl.privateKey(new byte[] {0x30, 0x03, 0x02, 0x01, 0x00}));
  }

  private static byte[] pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n")
        .getBytes(StandardCharsets.US_ASCII);
  }
}
