package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Proof-of-work difficulty")
class DifficultyTest {

  @Test
  @DisplayName("is 0 without failures, whatever the volume, and grows by 2 bits per doubling of failures")
  void formula() {
    assertEquals(0, new Difficulty(0, 0, 0, 0, 500).of(22));
    assertEquals(10, new Difficulty(1, 1, 0, 0, 0).of(22));
    assertEquals(12, new Difficulty(0, 0, 3, 0, 0).of(22));
    assertEquals(14, new Difficulty(4, 4, 0, 0, 0).of(22));
    assertEquals(0, new Difficulty(0, 0, 0, 9, 0).of(22), "app failures count a tenth");
    assertEquals(10, new Difficulty(0, 0, 0, 10, 0).of(22));
    assertEquals(12, new Difficulty(1, 1, 0, 0, 30).of(22), "volume adds once there are failures");
    assertEquals(22, new Difficulty(1_000, 1_000, 0, 0, 0).of(22), "capped at the app's maximum");
    assertEquals(16, new Difficulty(1_000, 0, 0, 0, 0).of(16));
  }

  @Test
  @DisplayName("stays at the maximum after 100 consecutive failures of the identity")
  void ceiling() {
    assertEquals(22, new Difficulty(0, 100, 0, 0, 0).of(22));
    assertEquals(14, new Difficulty(4, 99, 0, 0, 0).of(22));
  }
}
