package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.password4j.Argon2Function;
import com.password4j.types.Argon2;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Argon2id")
class Argon2idTest {

  @Test
  @DisplayName("writes PHC strings with m=19456,t=2,p=1 and a fresh salt, and checks them")
  void phc() {
    String password = "correct horse battery staple";
    String first = Argon2id.DEFAULT.hash(password);
    String second = Argon2id.DEFAULT.hash(password);
    assertTrue(first.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), first);
    assertNotEquals(first, second, "a fresh salt every time");
    assertTrue(Argon2id.verify(password, first));
    assertFalse(Argon2id.verify(password + " ", first));
    assertFalse(Argon2id.verify(password, "$2b$10$notargon"));
    assertFalse(Argon2id.DEFAULT.needsRehash(first));
  }

  @Test
  @DisplayName("a hash made with older parameters still verifies and asks for a rehash")
  void rehash() {
    Argon2id older = new Argon2id(8 * 1024, 1, 1);
    String old = older.hash("tangerine skyline");
    assertTrue(Argon2id.verify("tangerine skyline", old));
    assertTrue(Argon2id.DEFAULT.needsRehash(old));
    assertFalse(older.needsRehash(old));
  }

  @Test
  @DisplayName("a hash that password4j wrote (what earlier versions stored) verifies, and one written here verifies there")
  void earlierHashesStillVerify() {
    // beyond ASCII, and beyond the Basic Multilingual Plane: both libraries must hash the same UTF-8 bytes
    String password = "kumquat orbit 7 \u00fcn\u00efc\u00f8d\u00e9 \uD83C\uDF4A";
    String written = Argon2Function.getInstance(19 * 1024, 2, 1, 32, Argon2.ID, Argon2Function.ARGON2_VERSION_13)
        .hash(password.getBytes(StandardCharsets.UTF_8), "sixteen byte slt".getBytes(StandardCharsets.UTF_8))
        .getResult();
    assertTrue(Argon2id.verify(password, written));
    assertFalse(Argon2id.verify("kumquat orbit 7", written));
    assertFalse(Argon2id.DEFAULT.needsRehash(written));
    String here = Argon2id.DEFAULT.hash(password);
    assertTrue(Argon2Function.getInstanceFromHash(here).check(password, here));
  }

  @Test
  @DisplayName("a truncated PHC string never matches; one of another version, type or shape asks for a rehash")
  void malformed() {
    String good = Argon2id.DEFAULT.hash("kumquat orbit 7");
    assertFalse(Argon2id.verify("kumquat orbit 7", good.substring(0, good.length() - 5)));
    for (String bad : new String[] {"$argon2id$v=19$m=19456,t=2,p=1$$",
        "$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA"}) {
      assertFalse(Argon2id.verify("kumquat orbit 7", bad), bad);
      assertTrue(Argon2id.DEFAULT.needsRehash(bad), bad);
    }
  }
}
