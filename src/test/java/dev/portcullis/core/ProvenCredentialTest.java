package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.messages.OtpMessages.Proven;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A password sign-in's credential, carried in a hosted code until its exchange")
class ProvenCredentialTest {

  @Test
  @DisplayName("proves the password while its generation stays, whatever hash stores it meanwhile")
  void generation() {
    String credential = Proven.credential(3);
    assertTrue(Proven.stillProves(credential, "$argon2id$rehashed", 3));
    assertFalse(Proven.stillProves(credential, "$argon2id$rehashed", 4));
  }

  @Test
  @DisplayName("made before V112 (a digest of the hash it proved, in a code issued across the upgrade), proves that "
      + "hash only")
  void digestOfAnEarlierRelease() {
    String digest = Secrets.base64Url(Secrets.sha256("$argon2id$proven"));
    assertTrue(Proven.stillProves(digest, "$argon2id$proven", 0));
    assertFalse(Proven.stillProves(digest, "$argon2id$changed", 0));
    assertFalse(Proven.stillProves(digest, null, 0));
  }
}
