package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.LogCapture;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The log channel")
class LogChannelTest {

  private static final OtpMessage MESSAGE = new OtpMessage(Identity.email("ivan@example.com"), "493817",
      UUID.randomUUID(), "Log App", UUID.randomUUID().toString(), 300, "req-1", null);

  @Test
  @DisplayName("writes one line with the masked address and without the code")
  void maskedWithoutCode() {
    List<String> lines = deliver(false);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains("i***@example.com"), lines.get(0));
    assertFalse(lines.get(0).contains("493817"), lines.get(0));
    assertFalse(lines.get(0).contains("ivan@"), lines.get(0));
  }

  @Test
  @DisplayName("in dev mode the line also carries the code")
  void codeInDevMode() {
    List<String> lines = deliver(true);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains("493817"), lines.get(0));
    assertTrue(lines.get(0).contains("i***@example.com"), lines.get(0));
  }

  private static List<String> deliver(boolean devMode) {
    try (LogCapture logs = new LogCapture()) {
      new LogChannel(devMode).deliver(MESSAGE);
      return logs.lines().stream().filter(line -> line.startsWith(LogChannel.class.getName())).toList();
    }
  }
}
