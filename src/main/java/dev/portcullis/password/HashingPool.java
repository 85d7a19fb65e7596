package dev.portcullis.password;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The one place password hashes are computed in a process: a named worker pool sized to the cores, with a
 * bounded number of hashes admitted at once (running plus waiting). When that many are in flight, a new one is
 * refused at once with {@code 503 unavailable} and {@code Retry-After}, instead of queueing without end while
 * its caller times out. The last quarter of the bound (at least one) takes only hashes of apps holding no more
 * than a quarter each and not flooding (none of their hashes refused in the last second, whether or not they held
 * others): an app alone has three quarters of the pool, and floods of wrong passwords (an app's own backend's, or
 * strangers' through its hosted page), of one app or several, even of many apps holding one hash each, leave the
 * other apps that quarter once each flood has met a refusal. A flood meets one again and again, so it stays out; a
 * quiet app refused once, the pool being full, is back a second later (as {@code Retry-After} says) though it never
 * stopped holding a hash.
 * Shared by every verticle instance of one Vert.x (like a connection pool), so the bounds hold for the whole
 * process.
 */
public final class HashingPool {

  public static final String NAME = "portcullis-password-hashing";
  private static final String MAP = "portcullis.password.hashing";
  private static final long MAX_HASH_SECONDS = 30;
  /**
   * A hash that waited this long for a thread is not started but refused (503): its caller waits 10 s at most, and a
   * check that outlived its request could spend a change's reservation that had lapsed meanwhile (h49), so a
   * password is never checked for nobody.
   */
  static final long MAX_QUEUE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** How long a refusal of one of its hashes marks an app as flooding. */
  static final long FLOODING_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long NEVER = Long.MIN_VALUE;

  private final WorkerExecutor workers;
  private final AtomicInteger inFlight = new AtomicInteger();
  /**
   * Per app with hashes in flight or refused within {@link #FLOODING_NANOS} (atomic per key through compute); any
   * other app has no entry, and {@link #sweep} drops the marks of apps that stopped trying.
   */
  private final ConcurrentHashMap<UUID, Holding> inFlightByApp = new ConcurrentHashMap<>();
  private final AtomicLong lastSweep;
  private final int capacity;
  /** The last slots, for apps holding no more than this many hashes each. */
  private final int reserve;
  private final int threads;
  private final int nice;
  private final Counter rejected;
  private final Counter rejectedForApp;
  private final Counter waitedTooLong;
  private final Timer hashTime;
  private final LongSupplier nanoClock;
  /** About how long one check under the current settings takes in this process: 0 until the first is timed. */
  private final AtomicLong typicalCheckNanos = new AtomicLong();

  private HashingPool(Vertx vertx, HashingSettings settings, MeterRegistry registry, LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    this.lastSweep = new AtomicLong(nanoClock.getAsLong());
    this.threads = settings.threads();
    this.capacity = settings.capacity();
    this.reserve = Math.max(1, capacity / 4);
    this.nice = settings.nice();
    this.workers = vertx.createSharedWorkerExecutor(NAME, threads, MAX_HASH_SECONDS, TimeUnit.SECONDS);
    this.rejected = Counter.builder("portcullis.password.hash.rejected")
        .description("password hashes refused with 503: the pool was full (pool_full), their app would have taken "
            + "the last quarter (app_share), or no thread took them by their request's deadline (waited)")
        .tag("reason", "pool_full")
        .register(registry);
    this.rejectedForApp = Counter.builder("portcullis.password.hash.rejected")
        .description("password hashes refused with 503 because their app, holding more than a quarter of the pool "
            + "or flooding it, would have taken the last quarter, kept for the other apps")
        .tag("reason", "app_share")
        .register(registry);
    this.waitedTooLong = Counter.builder("portcullis.password.hash.rejected")
        .description("password hashes refused with 503 because no thread took them before their request's deadline")
        .tag("reason", "waited")
        .register(registry);
    this.hashTime = Timer.builder("portcullis.password.hash.duration")
        .description("time one Argon2id hash or verification took on the hashing pool")
        .register(registry);
    Gauge.builder("portcullis.password.hash.in_flight", inFlight, AtomicInteger::get)
        .description("password hashes running or waiting on the hashing pool")
        .register(registry);
    Gauge.builder("portcullis.password.hash.capacity", () -> capacity)
        .description("password hashes admitted at once before 503")
        .register(registry);
  }

  private record Holder(HashingPool pool) implements Shareable {
  }

  /**
   * An app's hashes in flight, and when one of its hashes was last refused ({@link #NEVER}): for
   * {@link #FLOODING_NANOS} after, the app is flooding and keeps out of the last quarter, even holding none (a flood
   * of many apps holding one hash each is refused while each holds nothing else).
   */
  private record Holding(int count, long refusedAt) {

    Holding plusOne() {
      return new Holding(count + 1, refusedAt);
    }

    /** One less; null when none is left and the app is not flooding. */
    Holding minusOne(long now) {
      return count == 1 && !flooding(now) ? null : new Holding(count - 1, refusedAt);
    }

    /** One less, refused at {@code now}: kept even holding none, until the mark expires. */
    Holding refused(long now) {
      return new Holding(count - 1, now);
    }

    boolean flooding(long now) {
      return refusedAt != NEVER && now - refusedAt < FLOODING_NANOS;
    }

    boolean forgotten(long now) {
      return count == 0 && !flooding(now);
    }
  }

  /** The pool of this Vert.x, created by the first caller with these sizes. */
  public static HashingPool shared(Vertx vertx, HashingSettings settings, MeterRegistry registry) {
    LocalMap<String, Holder> map = vertx.sharedData().getLocalMap(MAP);
    return map.computeIfAbsent("pool", ignored -> new Holder(create(vertx, settings, registry, System::nanoTime)))
        .pool();
  }

  /** A pool of its own, on that clock (tests drive time). */
  static HashingPool create(Vertx vertx, HashingSettings settings, MeterRegistry registry, LongSupplier nanoClock) {
    return new HashingPool(vertx, settings, registry, nanoClock);
  }

  /**
   * Runs {@code work} for that app on the pool, or fails at once with 503 when the pool already holds its capacity,
   * or when the app would take the last quarter, kept for the others, while holding more than a quarter of the pool
   * or within a second of a refusal of one of its hashes.
   */
  public <T> Future<T> submit(UUID appId, Callable<T> work) {
    return submit(appId, work, startBy(MAX_QUEUE_WAIT_NANOS));
  }

  /** On this pool's clock: a time {@code waitNanos} from now, for {@link #submit(UUID, Callable, long)}. */
  public long startBy(long waitNanos) {
    return nanoClock.getAsLong() + waitNanos;
  }

  /**
   * As {@link #submit(UUID, Callable)}, but refused (503) unless a thread takes it by {@code startBy} at the latest
   * (and within {@link #MAX_QUEUE_WAIT_NANOS}): a request that hashes twice (a change: the current password, then
   * the new one) gives both one deadline, so that it ends before its caller stops waiting (h50: a change answered
   * 503 at 10 s committed a moment later).
   */
  public <T> Future<T> submit(UUID appId, Callable<T> work, long startBy) {
    long now = nanoClock.getAsLong();
    sweep(now);
    Holding ofApp = inFlightByApp.merge(appId, new Holding(1, NEVER), (held, one) -> held.plusOne());
    int total = inFlight.incrementAndGet();
    boolean full = total > capacity;
    if (full || total > capacity - reserve && (ofApp.count() > reserve || ofApp.flooding(now))) {
      inFlight.decrementAndGet();
      inFlightByApp.computeIfPresent(appId, (id, held) -> held.refused(now));
      (full ? rejected : rejectedForApp).increment();
      return Future.failedFuture(saturated());
    }
    long latest = Math.min(startBy, now + MAX_QUEUE_WAIT_NANOS);
    return workers.<T>executeBlocking(() -> {
          if (nanoClock.getAsLong() > latest) {
            waitedTooLong.increment();
            throw saturated();
          }
          long started = System.nanoTime();
          try {
            return niced(work).call();
          } finally {
            hashTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
          }
        }, false)
        .andThen(done -> {
          inFlight.decrementAndGet();
          release(appId);
        });
  }

  /** One hash of the app less in flight; an app with none left and not flooding leaves the map. */
  private void release(UUID appId) {
    long now = nanoClock.getAsLong();
    inFlightByApp.computeIfPresent(appId, (id, held) -> held.minusOne(now));
  }

  /**
   * At most once a mark's lifetime, drops the expired marks of apps holding none (apps come and go by the thousand,
   * and one refused once and never again has no later call to drop its entry): the map holds the apps in flight and
   * those refused within the last two seconds.
   */
  private void sweep(long now) {
    long last = lastSweep.get();
    if (now - last >= FLOODING_NANOS && lastSweep.compareAndSet(last, now)) {
      inFlightByApp.values().removeIf(held -> held.forgotten(now));
    }
  }

  /** Apps in the map (tests check that it stays bounded). */
  int tracked() {
    return inFlightByApp.size();
  }

  /** Runs start-up work (the dummy hash) on the pool, outside the admission bound: a start is never refused. */
  public <T> Future<T> atStart(Callable<T> work) {
    return workers.executeBlocking(niced(work), false);
  }

  /** The work, run at the pool's nice value (set once per hashing thread). */
  private <T> Callable<T> niced(Callable<T> work) {
    return () -> {
      ThreadNice.apply(nice);
      return work.call();
    };
  }

  /** Moves the typical check time a quarter of the way towards a check's {@code nanos}; the first one sets it. */
  void checked(long nanos) {
    typicalCheckNanos.updateAndGet(typical -> typical == 0 ? nanos : typical + (nanos - typical) / 4);
  }

  /** How long a check under the current settings typically takes here, 0 before the first was timed. */
  long typicalCheckNanos() {
    return typicalCheckNanos.get();
  }

  public int threads() {
    return threads;
  }

  public int capacity() {
    return capacity;
  }

  static ApiException saturated() {
    return new ApiException(ErrorCode.UNAVAILABLE, "password hashing is at capacity, retry shortly",
        new JsonObject().put("retry_after", 1));
  }
}
