package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.otp.Identity;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

@DisplayName("The password policy")
class PasswordPolicyTest {

  private static final PasswordPolicy DEFAULT = new PasswordPolicy(8, true, false);
  private static final Identity KIM = Identity.email("kimberly@example.com");

  @Test
  @DisplayName("accepts a long passphrase and refuses a short one, counting code points after NFKC")
  void lengthInCodePoints() {
    assertEquals(List.of(), DEFAULT.reasons("correct horse battery staple", KIM));
    assertEquals(List.of(PasswordPolicy.TOO_SHORT), DEFAULT.reasons("x7#kQ2", KIM));
    // seven emoji are 14 UTF-16 units but 7 code points: too short
    assertEquals(List.of(PasswordPolicy.TOO_SHORT), DEFAULT.reasons("\uD83D\uDE00".repeat(7), KIM));
    assertEquals(List.of(), DEFAULT.reasons("\uD83D\uDE00".repeat(8), KIM));
    // the full-width "ｐａｓｓｗｏｒｄ１" is "password1" after NFKC: common
    assertEquals(List.of(PasswordPolicy.COMMON),
        DEFAULT.reasons(PasswordPolicy.normalise("password", "\uFF50\uFF41\uFF53\uFF53\uFF57\uFF4F\uFF52\uFF44\uFF11"), KIM));
  }

  @Test
  @DisplayName("refuses text with a lone surrogate, whose UTF-8 would make distinct passwords one; keeps a pair")
  void loneSurrogates() {
    for (String lone : List.of("lone surrogate pw \uD800\uD800", "\uDFFF".repeat(8), "pass\uD83Dword!")) {
      ApiException refused = assertThrows(ApiException.class, () -> PasswordPolicy.normalise("password", lone));
      assertTrue(refused.getMessage().startsWith("password"), refused.getMessage());
    }
    assertEquals("smile \uD83D\uDE00 please", PasswordPolicy.normalise("password", "smile \uD83D\uDE00 please"));
  }

  @Test
  @DisplayName("refuses more than 1024 code points and never truncates: 1024 are fine")
  void tooLong() {
    assertEquals(List.of(), DEFAULT.reasons("ab3$".repeat(256), KIM));
    assertEquals(List.of(PasswordPolicy.TOO_LONG), DEFAULT.reasons("ab3$".repeat(256) + "z", KIM));
  }

  @Test
  @DisplayName("text too long to ever be a password is left as it is, not expanded by NFKC (U+FDFA is 18 characters), "
      + "and refused as too long alone; a password of 1024 decomposed characters is still normalised")
  void tooLongIsNotNormalised() {
    String expanding = "\uFDFA".repeat(21_500);
    assertEquals(expanding.length(), PasswordPolicy.normalise("password", expanding).length(),
        "h32: 387,000 characters after NFKC");
    assertEquals(List.of(PasswordPolicy.TOO_LONG), DEFAULT.reasons(expanding, KIM));
    // four code points that compose into one (U+1F87), 1024 times
    String decomposed = "\u03B1\u0314\u0342\u0345".repeat(PasswordPolicy.MAX_LENGTH);
    assertTrue("\u1F87".repeat(PasswordPolicy.MAX_LENGTH).equals(PasswordPolicy.normalise("password", decomposed)));
  }

  @Test
  @DisplayName("more than 30 combining marks in a row are refused before NFKC, whose reordering of them grows with the "
      + "square of their number; 30 are text like any other")
  void longRunsOfMarks() {
    String run = "a" + "\u0301".repeat(4095) + "\u0316".repeat(4096); // h35: 60 ms of NFKC at 8,192 units
    ApiException refused = assertThrows(ApiException.class, () -> PasswordPolicy.normalise("password", run));
    assertEquals("password: holds more than 30 combining marks in a row", refused.getMessage());
    // h41: U+FF9E (Lm) reset the count, and NFKC turns it into the mark U+3099: one run of 8,190 marks, 19 ms
    String halfWidth = "a" + "\uFF9E\u0301".repeat(4095);
    ApiException voiced = assertThrows(ApiException.class, () -> PasswordPolicy.normalise("password", halfWidth));
    assertEquals(ErrorCode.INVALID_REQUEST, voiced.code());
    assertEquals("password: holds more than 30 combining marks in a row", voiced.getMessage());
    String thirty = "zalgo " + "\u0316\u0301".repeat(15) + " passphrase";
    assertEquals(java.text.Normalizer.normalize(thirty, java.text.Normalizer.Form.NFKC),
        PasswordPolicy.normalise("password", thirty));
  }

  @Test
  @DisplayName("every character whose compatibility decomposition begins with a combining mark counts as a mark in a "
      + "run, in the Unicode of the JDK that runs it, while one that begins with a space or a letter does not")
  void marksAfterDecomposition() {
    List<String> missed = new java.util.ArrayList<>();
    for (int c = 0; c <= Character.MAX_CODE_POINT; c++) {
      if (Character.getType(c) == Character.SURROGATE || Character.getType(c) == Character.UNASSIGNED) {
        continue;
      }
      String decomposed = java.text.Normalizer.normalize(Character.toString(c), java.text.Normalizer.Form.NFKD);
      int first = decomposed.codePointAt(0);
      int type = Character.getType(first);
      boolean beginsWithMark = type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
          || type == Character.ENCLOSING_MARK;
      if (beginsWithMark && !PasswordPolicy.isMark(c)) {
        missed.add(String.format("U+%04X", c));
      }
    }
    assertEquals(List.of(), missed, "characters that NFKC turns into a mark but the count of a run skips");
    assertTrue(!PasswordPolicy.isMark(0x00B4) && !PasswordPolicy.isMark(0x309B),
        "a spacing accent begins with a space");
    assertTrue(!PasswordPolicy.isMark('a') && !PasswordPolicy.isMark(0x1F87), "a letter, with its marks or not");
  }

  @Test
  @DisplayName("refuses the bundled common passwords in any case, unless the app turns the list off")
  void common() {
    assertTrue(CommonPasswords.size() == 10_000, "10,000 entries, got " + CommonPasswords.size());
    assertEquals(List.of(PasswordPolicy.COMMON), DEFAULT.reasons("PassWord", KIM));
    assertEquals(List.of(PasswordPolicy.COMMON), DEFAULT.reasons("12345678", KIM));
    assertEquals(List.of(), new PasswordPolicy(8, false, false).reasons("12345678", KIM));
  }

  @Test
  @DisplayName("a character Unicode has not assigned is refused when a password is set: a later version may map it")
  void unassignedCharacters() {
    ApiException refused = assertThrows(ApiException.class,
        () -> DEFAULT.check("password", PasswordPolicy.normalise("password", "abc\u0378defghij-long"), KIM));
    assertEquals(ErrorCode.INVALID_REQUEST, refused.code());
    assertTrue(refused.getMessage().startsWith("password:"), refused.getMessage());
    DEFAULT.check("password", PasswordPolicy.normalise("password", "abc\u00e9defghij-long"), KIM);
  }

  @Test
  @DisplayName("refuses a password that contains the email, its local part, or the phone's digits")
  void containsIdentity() {
    assertEquals(List.of(PasswordPolicy.CONTAINS_IDENTITY), DEFAULT.reasons("Kimberly-rocks-2024", KIM));
    Identity phone = Identity.phone("+6289123456678");
    assertEquals(List.of(PasswordPolicy.CONTAINS_IDENTITY), DEFAULT.reasons("my 8912-3456-678 pw", phone));
    assertEquals(List.of(), DEFAULT.reasons("tangerine-skyline-42", phone));
    assertEquals(List.of(PasswordPolicy.CONTAINS_IDENTITY),
        DEFAULT.reasons("x \u0668\u0669\u0661\u0662\u0663\u0664\u0665\u0666\u0666\u0667\u0668 y", phone),
        "the phone's digits typed in Arabic-Indic digits (NFKC keeps them)");
  }

  @Test
  @DisplayName("asks for upper, lower, digit and symbol only when the app wants the classes rule")
  void classes() {
    PasswordPolicy classes = new PasswordPolicy(8, true, true);
    assertEquals(List.of(PasswordPolicy.MISSING_CLASSES), classes.reasons("tangerine skyline", KIM));
    assertEquals(List.of(), classes.reasons("Tangerine-Sky1ine", KIM));
    assertEquals(List.of(), DEFAULT.reasons("tangerine skyline", KIM));
  }

  @Test
  @DisplayName("a refusal is 400 weak_password listing every reason")
  void weakPassword() {
    Executable check = () -> new PasswordPolicy(12, true, true).check("password", "kimberly", KIM);
    ApiException refused = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class, check);
    assertEquals(ErrorCode.WEAK_PASSWORD, refused.code());
    assertEquals(400, refused.code().status());
    assertEquals(List.of("too_short", "common", "missing_classes", "contains_identity"),
        refused.toJson().getJsonArray("reasons").getList());
  }
}
