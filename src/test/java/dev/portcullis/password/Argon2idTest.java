package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
