package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Identities")
class IdentityTest {

  @ParameterizedTest
  @ValueSource(strings = {"+62-89123456678", "+62 891 2345 6678", "(+62) 891-2345-6678", "+6289123456678", " +62 0891 2345 6678 ",
      "\uFF0B62 891 2345 6678", "(\uFF0B62) 891-2345-6678"})
  @DisplayName("every spelling of a phone number becomes the same E.164 number")
  void phoneSpellings(String spelling) {
    Identity phone = Identity.of(null, spelling);
    assertEquals(Identity.Kind.PHONE, phone.kind());
    assertEquals("+6289123456678", phone.value());
    assertEquals("ID", phone.country());
  }

  @ParameterizedTest
  @ValueSource(strings = {"+1 2", "12345", "0049 30 123456", "+999 123", "phone", "+62 8912345667812345678"})
  @DisplayName("impossible numbers and numbers without a country code are refused naming phone")
  void impossiblePhones(String spelling) {
    ApiException refused = assertThrows(ApiException.class, () -> Identity.of(null, spelling));
    assertEquals(ErrorCode.INVALID_REQUEST, refused.code());
    assertTrue(refused.getMessage().startsWith("phone:"), refused.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"+44 1234", "+1 555 0101", "+1 234 5678", "+62 891234"})
  @DisplayName("a number dialable only within its area (no area code) is refused: a code sent to it reaches nobody")
  void localOnlyPhones(String spelling) {
    ApiException refused = assertThrows(ApiException.class, () -> Identity.of(null, spelling));
    assertEquals(ErrorCode.INVALID_REQUEST, refused.code());
    assertTrue(refused.getMessage().startsWith("phone:"), refused.getMessage());
  }

  @Test
  @DisplayName("a refused email is told why: its characters, its local part's length, or its xn-- label")
  void emailRefusalsSayWhy() {
    assertTrue(assertThrows(ApiException.class, () -> Identity.email("Äbc@example.com")).getMessage()
        .contains("local part"), "the local part is what is not ASCII (h83)");
    assertTrue(assertThrows(ApiException.class, () -> Identity.email("abc@exämple.com")).getMessage()
        .contains("xn--"));
    assertFalse(assertThrows(ApiException.class, () -> Identity.email("a..b@example.com")).getMessage()
        .contains("ASCII"), "an ASCII address is not told to be ASCII (h77)");
    assertTrue(assertThrows(ApiException.class, () -> Identity.email("a".repeat(65) + "@example.com")).getMessage()
        .contains("at most 64 characters before the @"));
    assertTrue(assertThrows(ApiException.class, () -> Identity.email("user@xn--n3h.com")).getMessage()
        .contains("xn--"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"+1 650 253 OOOO", "+1-800-FLOWERS", "+62 89123456678abc", "+1 650 253 0000 ext 5",
      "+1 650 253 0000 x5"})
  @DisplayName("a phone with letters is refused, not read as keypad digits or an extension of another number")
  void lettersInPhones(String spelling) {
    ApiException refused = assertThrows(ApiException.class, () -> Identity.of(null, spelling));
    assertEquals(ErrorCode.INVALID_REQUEST, refused.code());
    assertTrue(refused.getMessage().startsWith("phone:"), refused.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"+1 212 555 3000;5", "+1 212 555 3000,5", "+1 212 555 3000,,5", "+1 212 555 3000 #5",
      "+1 212 555 3000 ~5", "+1 212 555 3000 \uFF5E5", "+1 212 555 3000 \uFF035"})
  @DisplayName("an extension written without letters is refused too: two extensions of one line are two people")
  void extensionsInPhones(String spelling) {
    ApiException refused = assertThrows(ApiException.class, () -> Identity.of(null, spelling));
    assertTrue(refused.getMessage().startsWith("phone:"), refused.getMessage());
  }

  @Test
  @DisplayName("an email's mailbox, what sends to it are counted on, drops a +tag, and at Gmail the dots and the "
      + "googlemail domain; the identity itself keeps them")
  void mailbox() {
    assertEquals("email:victim@example.com", Identity.email("Victim+Shop@Example.com").mailbox());
    assertEquals("email:victim@gmail.com", Identity.email("v.ic.tim+1@googlemail.com").mailbox());
    assertEquals("email:v.ictim@example.com", Identity.email("v.ictim@example.com").mailbox(), "dots count elsewhere");
    assertEquals("email:v.ic.tim+1@googlemail.com", Identity.email("v.ic.tim+1@googlemail.com").qualified());
    assertEquals("phone:+442079460000", Identity.phone("+44 20 7946 0000").mailbox());
  }

  @Test
  @DisplayName("a North American number is placed in its own country, not the calling code's main one")
  void countryOfNumber() {
    assertEquals("CA", Identity.phone("+1 613 555 0123").country());
    assertEquals("US", Identity.phone("+1 415 555 2671").country());
  }

  @Test
  @DisplayName("emails are trimmed and lower-cased")
  void emailNormalised() {
    assertEquals("alice.smith+otp@example.co.uk", Identity.of("  Alice.Smith+OTP@Example.CO.uk ", null).value());
  }

  @Test
  @DisplayName("internationalised domains are accepted in their ASCII form when it decodes; in Unicode they are refused")
  void internationalisedDomains() {
    assertEquals("user@example.xn--p1ai", Identity.of("user@example.xn--p1ai", null).value());
    assertEquals("user@xn--bcher-kva.de", Identity.of("User@xn--Bcher-kva.de", null).value());
    assertEquals("user@xn--e1afmkfd.xn--p1ai", Identity.of("user@xn--e1afmkfd.xn--p1ai", null).value());
    // valid under IDNA2008 but not IDNA2003: faß, a final sigma, Japanese, Persian with a ZWNJ, Sinhala with a ZWJ
    // after its virama, Cherokee in capitals (to which its small letters fold)
    for (String domain : List.of("xn--fa-hia.de", "xn--mxa8ab.gr", "xn--wgv71a119e.jp", "xn--mgbn2ecje63gr19l.ir",
        "xn--10cl1a0b660p.lk", "xn--f9dt7l.com")) {
      assertEquals("user@" + domain, Identity.of("user@" + domain, null).value());
    }
    // IDNA2003 (Java's IDN) would make faß.de fass.de, another domain under IDNA2008: no conversion here.
    for (String refused : List.of("user@faß.de", "user@bücher.de", "user@xn--zz.de", "user@xn--abc-.de",
        "user@xn--99999999999a.de", "user@xn--.de",
        // bücher decomposed (u and U+0308), bÜcher, a full-width b, with U+200B, with U+202E: another spelling of a
        // name, or no name a registry would hold, each of which would be an identity of its own
        "user@xn--bucher-xyd.de", "user@xn--bcher-2pa.de", "user@xn--cher-zra77610b.de", "user@xn--bcher-kva1776c.de",
        "user@xn--bcher-kva4107c.de",
        // a ZWJ between Latin letters, bücher with a CGJ, a variation selector, a Mongolian selector or a ZWJ,
        // Cherokee in small letters, an emoji, a snowman, a tatweel (probe h86)
        "user@xn--ab-m1t.com", "user@xn--bcher-kva972b.de", "user@xn--bcher-kva72646b.de",
        "user@xn--bcher-kva9342b.de", "user@xn--bcher-kva5876c.de", "user@xn--tz9ata7l.com", "user@xn--ls8h.la",
        "user@xn--n3h.com", "user@xn--wgbh6at.com")) {
      ApiException failure = assertThrows(ApiException.class, () -> Identity.of(refused, null), refused);
      assertTrue(failure.getMessage().startsWith("email:"), failure.getMessage());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"alice", "alice@", "@example.com", "alice@example", "alice@@example.com", "al ice@example.com",
      "alice@exa_mple.com", "alice..b@example.com", "alice@example.com\r\nBcc: x@y.z", "\"al\"@example.com"})
  @DisplayName("malformed emails are refused naming email")
  void malformedEmails(String email) {
    ApiException refused = assertThrows(ApiException.class, () -> Identity.of(email, null));
    assertEquals(ErrorCode.INVALID_REQUEST, refused.code());
    assertTrue(refused.getMessage().startsWith("email:"), refused.getMessage());
  }

  @Test
  @DisplayName("an email of 254 characters is accepted and one of 255 is refused")
  void emailLength() {
    String domain = "@" + "d".repeat(63) + "." + "e".repeat(63) + "." + "f".repeat(63) + ".com";
    String local = "a".repeat(254 - domain.length());
    assertEquals(254, Identity.email(local + domain).value().length());
    ApiException refused = assertThrows(ApiException.class, () -> Identity.email("a" + local + domain));
    assertTrue(refused.getMessage().contains("254"), refused.getMessage());
  }

  @Test
  @DisplayName("exactly one of email and phone: both or neither are refused naming the field")
  void exactlyOne() {
    assertTrue(assertThrows(ApiException.class, () -> Identity.of("a@example.com", "+14155552671"))
        .getMessage().startsWith("phone:"));
    assertTrue(assertThrows(ApiException.class, () -> Identity.of(null, null)).getMessage().startsWith("email:"));
    assertTrue(assertThrows(ApiException.class, () -> Identity.of(" ", "")).getMessage().startsWith("email:"));
    assertTrue(assertThrows(ApiException.class, () -> Identity.of(null, "")).getMessage().startsWith("phone:"),
        "the field sent empty is the one named");
  }

  @Test
  @DisplayName("masked forms keep enough to recognise an address and not enough to contact it")
  void masked() {
    assertEquals("a***@example.com", Identity.email("alice@example.com").masked());
    assertEquals("+62*********78", Identity.phone("+6289123456678").masked());
  }

  @Test
  @DisplayName("client IPs are counted in one canonical form, IPv6 by its /64 network")
  void clientNetworks() {
    assertEquals("203.0.113.7", ClientNetwork.of("203.0.113.7"));
    assertEquals("203.0.113.7", ClientNetwork.of("::ffff:203.0.113.7"));
    assertEquals(ClientNetwork.of("2001:db8:0:0:1::1"), ClientNetwork.of("2001:DB8::1:0:0:2"));
    assertTrue(assertThrows(ApiException.class, () -> ClientNetwork.of("999.1.1.1")).getMessage().startsWith("client_ip:"));
  }

  @Test
  @DisplayName("an identity and a message on its way print neither the address nor the code")
  void printsNothingToContact() {
    Identity email = Identity.email("Someone@Example.com");
    Identity phone = Identity.phone("+6289123456678");
    assertFalse(email.toString().contains("someone"), email.toString());
    assertFalse(phone.toString().contains("89123456678"), phone.toString());
    OtpMessage message = new OtpMessage(email, "913746", java.util.UUID.randomUUID(), "Shop", "req-1", 300, "r-1", null);
    assertFalse(message.toString().contains("913746"), message.toString());
    assertFalse(message.toString().contains("someone"), message.toString());
  }
}
