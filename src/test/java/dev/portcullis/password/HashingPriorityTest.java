package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The hashing threads' priority")
class HashingPriorityTest {

  @Test
  @DisplayName("hashes run at the configured nice value; the event loops and every other thread keep theirs")
  void hashesYieldToTheEventLoops() throws Exception {
    assumeTrue(Files.exists(Path.of("/proc/thread-self/stat")), "Linux only: no /proc/thread-self here");
    int own = niceOfThisThread();
    assertEquals(19, niceOnThePool(19));
    assertEquals(own, niceOnThePool(0), "0 leaves the threads alone");
    assertEquals(own, niceOfThisThread());
  }

  private static int niceOnThePool(int nice) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      HashingPool pool = HashingPool.shared(vertx, new HashingSettings(Argon2id.DEFAULT, 1, 1, nice),
          new SimpleMeterRegistry());
      return pool.submit(java.util.UUID.randomUUID(), HashingPriorityTest::niceOfThisThread).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** Field 19 of /proc/thread-self/stat, counted after the command name (which may hold spaces). */
  private static int niceOfThisThread() {
    try {
      String stat = Files.readString(Path.of("/proc/thread-self/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Integer.parseInt(fields[16]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
