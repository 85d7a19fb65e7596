package dev.portcullis.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.LogCapture;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PORTCULLIS_TRUSTED_PROXIES beyond private networks")
class TrustedProxiesWarningTest {

  @Test
  @DisplayName("each range that reaches public addresses is warned about at start (h104: 0.0.0.0/0 was taken without "
      + "a word, letting any client choose the address its limits count); private ranges are not")
  void publicRangesWarned() {
    try (LogCapture log = new LogCapture()) {
      SettingsCheck.warnAboutProxies("10.0.0.0/8, 0.0.0.0/0, 172.20.0.0/16, 192.168.1.10, fd00:1::/64, "
          + "203.0.113.0/24, ::/0, 100.64.0.0/10, 172.0.0.0/8");
      List<String> named = log.lines().stream()
          .filter(line -> line.contains("PORTCULLIS_TRUSTED_PROXIES includes "))
          .map(line -> line.substring(line.indexOf("includes ") + 9, line.indexOf(", beyond")))
          .toList();
      assertEquals(List.of("0.0.0.0/0", "203.0.113.0/24", "::/0", "172.0.0.0/8"), named, log.lines().toString());
    }
  }
}
