package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
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
  @DisplayName("a hash that waited for a thread longer than its caller would is refused (503) and never run (h49: "
      + "checks outlived their requests and their reservations)")
  void staleHashIsNotRun() {
    HashingPool single = HashingPool.create(vertx, new HashingSettings(Argon2id.DEFAULT, 1, 2, 0),
        new SimpleMeterRegistry(), now::get);
    UUID app = UUID.randomUUID();
    CountDownLatch first = new CountDownLatch(1);
    CountDownLatch firstStarted = new CountDownLatch(1);
    Future<Integer> busy = single.submit(app, () -> {
      firstStarted.countDown();
      return first.await(30, TimeUnit.SECONDS) ? 1 : 0;
    });
    running.add(first);
    Await.until("the first hash to hold the thread", Duration.ofSeconds(10), () -> firstStarted.getCount() == 0);
    java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
    Future<Integer> waiting = single.submit(app, () -> {
      ran.set(true);
      return 2;
    });
    now.addAndGet(HashingPool.MAX_QUEUE_WAIT_NANOS + 1);
    finish(busy, first);
    Await.until("the waiting hash to end", Duration.ofSeconds(10), waiting::isComplete);
    assertTrue(waiting.failed(), "refused");
    assertEquals("unavailable", ((dev.portcullis.core.ApiException) waiting.cause()).code().code());
    assertFalse(ran.get(), "never run");
  }

  @Test
  @DisplayName("a hash given a deadline a request's first hash set is refused (503) and never run once it has passed, "
      + "though a thread is free (h50: a change's second hash ran past its caller's wait and committed)")
  void deadlinePassedIsNotRun() {
    java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
    long startBy = pool.startBy(HashingPool.MAX_QUEUE_WAIT_NANOS);
    now.addAndGet(HashingPool.MAX_QUEUE_WAIT_NANOS + 1);
    Future<Integer> late = pool.submit(UUID.randomUUID(), () -> {
      ran.set(true);
      return 1;
    }, startBy);
    Await.until("the late hash to end", Duration.ofSeconds(10), late::isComplete);
    assertTrue(late.failed(), "refused");
    assertFalse(ran.get(), "never run");
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
  @DisplayName("an app refused keeps out of the last quarter for a second though it holds none any more, then takes "
      + "it again")
  void aFloodEndsASecondAfterItsLastRefusal() {
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
    assertTrue(hash(burst).failed(), "holding none, within a second of its refusal");
    now.addAndGet(HashingPool.FLOODING_NANOS);
    assertFalse(hash(burst).failed(), "a second later the app is not flooding any more");
  }

  /** A hash of a flooding app, running until the test lets it finish. */
  private record Flood(UUID app, Future<Integer> hash, CountDownLatch latch) {
  }

  @Test
  @DisplayName("floods of many apps holding one hash each leave the last quarter to a quiet app that retries after "
      + "Retry-After (probe: with 20 apps holding one each, another app's logins were 38 of 43 refused, pool_full: "
      + "an app refused holding nothing else lost its mark)")
  void manyAppsHoldingOneEachLeaveTheLastQuarter() {
    Deque<Flood> floodsRunning = new ArrayDeque<>();
    List<UUID> floodsRefused = new ArrayList<>();
    for (int i = 0; i < CAPACITY + 2; i++) {
      floodsRefused.add(UUID.randomUUID());
    }
    floodsTry(floodsRefused, floodsRunning);
    assertEquals(CAPACITY, floodsRunning.size(), "one hash each fills the pool");
    UUID quiet = UUID.randomUUID();
    assertTrue(hash(quiet).failed(), "the pool is full");
    int served = 0;
    for (int round = 0; round < 6; round++) {
      // the quiet app waits the second of Retry-After; the floods try again and again meanwhile
      for (int half = 0; half < 2; half++) {
        now.addAndGet(HashingPool.FLOODING_NANOS / 2);
        floodsTry(floodsRefused, floodsRunning);
      }
      Flood done = floodsRunning.removeFirst();
      finish(done.hash(), done.latch());
      floodsTry(floodsRefused, floodsRunning);
      Future<Integer> login = hash(quiet);
      CountDownLatch loginRunning = running.get(running.size() - 1);
      floodsRefused.add(done.app());
      floodsTry(floodsRefused, floodsRunning);
      if (!login.failed()) {
        served++;
        finish(login, loginRunning);
      }
    }
    assertEquals(6, served, "the quiet app is served each time it comes back");
    assertEquals(CAPACITY - 1, floodsRunning.size(), "the floods keep all but the quiet app's place");
  }

  /** Each refused flooding app tries once more, at once. */
  private void floodsTry(List<UUID> refused, Deque<Flood> floodsRunning) {
    for (UUID app : List.copyOf(refused)) {
      Future<Integer> hash = hash(app);
      if (!hash.failed()) {
        refused.remove(app);
        floodsRunning.addLast(new Flood(app, hash, running.get(running.size() - 1)));
      }
    }
  }

  @Test
  @DisplayName("the marks of apps refused once and never again are gone a second later, however many apps they were")
  void marksExpire() {
    UUID one = UUID.randomUUID();
    UUID two = UUID.randomUUID();
    for (int i = 0; i < 6; i++) {
      assertFalse(hash(one).failed());
    }
    assertFalse(hash(two).failed());
    assertFalse(hash(two).failed());
    for (int i = 0; i < 1_000; i++) {
      assertTrue(hash(UUID.randomUUID()).failed(), "the pool is full");
    }
    assertEquals(1_002, pool.tracked());
    now.addAndGet(HashingPool.FLOODING_NANOS);
    assertTrue(hash(UUID.randomUUID()).failed(), "the pool is full");
    assertEquals(3, pool.tracked(), "the two apps holding hashes and the one just refused");
  }
}
