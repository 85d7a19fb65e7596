package dev.portcullis.hosted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Hosted profile answers")
class AnswerFieldsTest {

  @Test
  @DisplayName("a date of birth has the admin API's range, 1850-01-01 to today")
  void dobRange() {
    assertEquals(Optional.of("1850-01-01"), AnswerFields.read("dob", "1850-01-01"));
    assertThrows(IllegalArgumentException.class, () -> AnswerFields.read("dob", "1849-12-31"));
  }

  @Test
  @DisplayName("an answer holding what the form decoder made of bytes that were no UTF-8 (U+FFFD) is refused")
  void undecodableBytes() {
    assertThrows(IllegalArgumentException.class, () -> AnswerFields.read("name", "Jo\uFFFD"));
    assertEquals(Optional.of("Jo"), AnswerFields.read("name", "Jo"));
  }
}
