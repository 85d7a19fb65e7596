package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The pool's last quarter, with hashes that run until the test lets them finish, so which app holds what is
 * exact: eight hashes at once, the last two kept for apps holding at most two and not flooding.
 */
@DisplayName("The password hashing pool's last quarter, under floods of several apps")
class HashingReserveTest {

  private static final int CAPACITY = 8;

  private Vertx vertx;
  private HashingPool pool;
  /** The pool's clock, moved by the tests. */
  private final AtomicLong now = new AtomicLong();
  private final List<CountDownLatch> running = new ArrayList<>();

  /** A hash of that app that runs until {@link #finish} lets it; failed at once when the pool refuses it. */
  private Future<Integer> hash(UUID appId) {
    CountDownLatch finish = new CountDownLatch(1);
    Future<Integer> answer = pool.submit(appId, () -> finish.await(30, TimeUnit.SECONDS) ? 1 : 0);
    if (!answer.failed()) {
      running.add(finish);
    }
    return answer;
  }

  private static void finish(Future<Integer> hash, CountDownLatch latch) {
    latch.countDown();
    Await.until("the hash to finish", Duration.ofSeconds(10), hash::succeeded);
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    pool = HashingPool.create(vertx, new HashingSettings(Argon2id.DEFAULT, CAPACITY, CAPACITY, 0),
        new SimpleMeterRegistry(), now::get);
  }

  @AfterEach
  void stop() throws Exception {
    running.forEach(CountDownLatch::countDown);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("a second flood that took the last quarter before its first refusal cannot take it again; "
      + "a quiet app can (holding no more than a quarter, a flood took it back as each hash finished)")
  void floodsKeepOutOfTheLastQuarter() {
    UUID noisy = UUID.randomUUID();
    UUID noisier = UUID.randomUUID();
    UUID quiet = UUID.randomUUID();
    for (int i = 0; i < 6; i++) {
      assertFalse(hash(noisy).failed(), "the first three quarters are anyone's");
    }
    assertTrue(hash(noisy).failed(), "holding six, the first flood is kept out of the last quarter");
    Future<Integer> first = hash(noisier);
    assertFalse(first.failed(), "an app holding none takes a place of the last quarter");
    CountDownLatch firstRunning = running.get(running.size() - 1);
    assertFalse(hash(noisier).failed());
    assertTrue(hash(noisier).failed(), "the pool is full");

    finish(first, firstRunning);
    assertTrue(hash(noisier).failed(), "holding one, the second flood was refused while holding two: kept out");
    assertTrue(hash(noisy).failed());
    assertFalse(hash(quiet).failed(), "the place goes to the quiet app");
    assertTrue(hash(quiet).failed(), "the pool is full again");
  }

  @Test
  @DisplayName("a quiet app refused once, the pool being full, takes the last quarter again a second later though it "
      + "never stopped holding a hash (h86: marked until it held none, a steady app stayed out for good)")
  void aRefusalIsForgottenInASecond() {
    UUID flood = UUID.randomUUID();
    UUID quiet = UUID.randomUUID();
    for (int i = 0; i < 6; i++) {
      assertFalse(hash(flood).failed());
    }
    Future<Integer> first = hash(quiet);
    CountDownLatch firstRunning = running.get(running.size() - 1);
    assertFalse(hash(quiet).failed());
    assertTrue(hash(quiet).failed(), "the pool is full");
    finish(first, firstRunning);
    assertTrue(hash(quiet).failed(), "within a second of its refusal");
    now.addAndGet(HashingPool.FLOODING_NANOS);
    assertFalse(hash(quiet).failed(), "a second later, holding one, it takes the free place");
  }

  @Test
  @DisplayName("an app refused while it held others may take the last quarter again once it held none")
  void aFloodEndsWhenItsHashesDo() {
    UUID burst = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    for (int i = 0; i < 6; i++) {
      assertFalse(hash(other).failed());
    }
    List<Future<Integer>> own = List.of(hash(burst), hash(burst));
    List<CountDownLatch> ownRunning = List.copyOf(running.subList(6, 8));
    assertTrue(hash(burst).failed(), "the pool is full");
    for (int i = 0; i < 2; i++) {
      finish(own.get(i), ownRunning.get(i));
    }
    assertFalse(hash(burst).failed(), "holding none, the app is not flooding any more");
  }
}
