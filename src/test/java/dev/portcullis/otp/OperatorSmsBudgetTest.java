package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.RedisStore;
import dev.portcullis.testing.TestBackends;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The operator's SMS ceilings on Redis alone: what anonymous (hosted) sends may take of them, and backends. */
@DisplayName("The anonymous share of the operator's SMS ceilings")
class OperatorSmsBudgetTest {

  private static final int NONE = OperatorSmsBudget.NONE;
  /** The app of the sends: only an app without an owner is a part of the gateway's share of its own. */
  private static final UUID APP = UUID.randomUUID();

  private static Vertx vertx;
  private static RedisStore redis;
  private static OperatorSmsBudget budget;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    redis = newStore();
    budget = new OperatorSmsBudget(redis);
  }

  /** A Redis store of a key prefix of its own: gateway-wide counters no other test of the class has counted on. */
  private static RedisStore newStore() {
    return RedisStore.create(vertx, GatewayConfig.from(new JsonObject()
        .put(GatewayConfig.HTTP_PORT, 0)
        .put(GatewayConfig.MANAGEMENT_PORT, 0)
        .put(GatewayConfig.HTTP_INSTANCES, 1)
        // never connected to: the budget is Redis alone
        .put(GatewayConfig.PG_URL, "postgresql://postgres@127.0.0.1:5432/unused")
        .put(GatewayConfig.PG_POOL_SIZE, 1)
        .put(GatewayConfig.REDIS_URL, TestBackends.redisUrl())
        .put(GatewayConfig.REDIS_PREFIX, TestBackends.newRedisPrefix())
        .put(GatewayConfig.ISSUER, "http://localhost:8080")
        .put(GatewayConfig.BACKEND_TIMEOUT_MS, 2000)
        .put(GatewayConfig.OTP_EMAIL_CHANNEL, "log")
        .put(GatewayConfig.OTP_SMS_CHANNEL, "log")
        .put(GatewayConfig.DEV_MODE, true)));
  }

  @AfterAll
  static void stop() throws Exception {
    if (redis != null) {
      on(() -> redis.close());
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("anonymous sends take half an owner's ceiling, rounded down; backends the rest of it")
  void anonymousSendsStopAtHalf() throws Exception {
    UUID owner = UUID.randomUUID();
    assertRoom(() -> budget.reserve(owner, APP, 5, NONE, true));
    assertRoom(() -> budget.reserve(owner, APP, 5, NONE, true));
    assertRefused(OperatorSmsBudget.OWNER_ANONYMOUS_HOURLY, () -> budget.spent(owner, APP, 5, NONE, true));
    assertRefused(OperatorSmsBudget.OWNER_ANONYMOUS_HOURLY, () -> budget.reserve(owner, APP, 5, NONE, true));
    assertRoom(() -> budget.spent(owner, APP, 5, NONE, false));
    for (int i = 0; i < 3; i++) {
      assertRoom(() -> budget.reserve(owner, APP, 5, NONE, false));
    }
    assertRefused(OperatorSmsBudget.OWNER_HOURLY, () -> budget.spent(owner, APP, 5, NONE, false));
    assertRefused(OperatorSmsBudget.OWNER_HOURLY, () -> budget.reserve(owner, APP, 5, NONE, false));
  }

  @Test
  @DisplayName("a ceiling of 1 leaves anonymous sends none, and the backends their one")
  void ceilingOfOne() throws Exception {
    UUID owner = UUID.randomUUID();
    assertRefused(OperatorSmsBudget.OWNER_ANONYMOUS_HOURLY, () -> budget.spent(owner, APP, 1, NONE, true));
    assertRefused(OperatorSmsBudget.OWNER_ANONYMOUS_HOURLY, () -> budget.reserve(owner, APP, 1, NONE, true));
    assertRoom(() -> budget.reserve(owner, APP, 1, NONE, false));
    assertRefused(OperatorSmsBudget.OWNER_HOURLY, () -> budget.reserve(owner, APP, 1, NONE, false));
  }

  @Test
  @DisplayName("backends that spent a ceiling refuse anonymous sends by the ceiling itself, though their share is whole")
  void backendsSpendTheWholeCeiling() throws Exception {
    UUID owner = UUID.randomUUID();
    for (int i = 0; i < 4; i++) {
      assertRoom(() -> budget.reserve(owner, APP, 4, NONE, false));
    }
    assertRefused(OperatorSmsBudget.OWNER_HOURLY, () -> budget.spent(owner, APP, 4, NONE, true));
    assertRefused(OperatorSmsBudget.OWNER_HOURLY, () -> budget.reserve(owner, APP, 4, NONE, true));
  }

  @Test
  @DisplayName("a burst of anonymous sends at once takes the anonymous share and no more")
  void burstKeepsToTheShare() throws Exception {
    UUID owner = UUID.randomUUID();
    List<OperatorSmsBudget.Reservation> all = on(() -> {
      List<Future<OperatorSmsBudget.Reservation>> burst = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        burst.add(budget.reserve(owner, APP, 10, NONE, true));
      }
      return Future.all(burst).map(done -> burst.stream().map(Future::result).toList());
    });
    assertEquals(5, all.stream().filter(reservation -> !reservation.refused()).count(), all.toString());
  }

  @Test
  @DisplayName("one owner's pages take at most a quarter of the gateway's anonymous share: another owner's pages still "
      + "send (h58: one tenant under attack shut SMS out of every hosted page for the hour)")
  void oneOwnerTakesAQuarterOfTheGatewayShare() throws Exception {
    UUID attacked = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    // A gateway ceiling of 16: its anonymous share 8, an owner's part of it 2.
    assertRoom(() -> budget.reserve(attacked, APP, NONE, 16, true));
    assertRoom(() -> budget.reserve(attacked, APP, NONE, 16, true));
    assertRefused(OperatorSmsBudget.GATEWAY_OWNER_ANONYMOUS_HOURLY,
        () -> budget.reserve(attacked, APP, NONE, 16, true));
    assertRoom(() -> budget.reserve(other, APP, NONE, 16, true));
    assertRoom(() -> budget.reserve(attacked, APP, NONE, 16, false));
  }

  @Test
  @DisplayName("an app the operator made, with no owner, takes at most a quarter of the gateway's anonymous share too "
      + "(h62: its pages took the whole share, and every owner's pages were refused for the hour)")
  void anOwnerlessAppTakesAQuarterOfTheGatewayShare() throws Exception {
    RedisStore own = newStore();
    try {
      OperatorSmsBudget fresh = new OperatorSmsBudget(own);
      UUID attackedApp = UUID.randomUUID();
      // A gateway ceiling of 16: its anonymous share 8, a part of it 2.
      assertRoom(() -> fresh.reserve(null, attackedApp, NONE, 16, true));
      assertRoom(() -> fresh.reserve(null, attackedApp, NONE, 16, true));
      assertRefused(OperatorSmsBudget.GATEWAY_OWNER_ANONYMOUS_HOURLY,
          () -> fresh.reserve(null, attackedApp, NONE, 16, true));
      assertRoom(() -> fresh.reserve(null, UUID.randomUUID(), NONE, 16, true));
      assertRoom(() -> fresh.reserve(UUID.randomUUID(), attackedApp, NONE, 16, true));
    } finally {
      on(() -> own.close());
    }
  }

  @Test
  @DisplayName("the gateway's ceiling has its anonymous share too, and a send it refuses gives back both of the "
      + "owner's places it took")
  void gatewayShareAndRelease() throws Exception {
    UUID owner = UUID.randomUUID();
    // The gateway's share of 1 is none: each anonymous send takes the owner's places, then is refused and gives
    // them back. Were either kept, the owner's share (2) or ceiling (4) would refuse the sends below.
    for (int i = 0; i < 3; i++) {
      assertRefused(OperatorSmsBudget.GATEWAY_ANONYMOUS_HOURLY, () -> budget.reserve(owner, APP, 4, 1, true));
    }
    assertRoom(() -> budget.reserve(owner, APP, 4, NONE, true));
    assertRoom(() -> budget.reserve(owner, APP, 4, NONE, true));
    assertRefused(OperatorSmsBudget.OWNER_ANONYMOUS_HOURLY, () -> budget.reserve(owner, APP, 4, NONE, true));
    assertRoom(() -> budget.reserve(owner, APP, 4, NONE, false));
    assertRoom(() -> budget.reserve(owner, APP, 4, NONE, false));
    assertRefused(OperatorSmsBudget.OWNER_HOURLY, () -> budget.reserve(owner, APP, 4, NONE, false));
  }

  @Test
  @DisplayName("a ceiling and its anonymous share slide over the hour together: sends 59 minutes old still count, and "
      + "the refusal says when the oldest leaves; 61 minutes old no longer (h59: fixed windows, each from its own first "
      + "send, let strangers take 15 of a ceiling of 16)")
  void ceilingsSlide() throws Exception {
    UUID owner = UUID.randomUUID();
    assertRoom(() -> budget.reserve(owner, APP, 4, NONE, true));
    assertRoom(() -> budget.reserve(owner, APP, 4, NONE, true));
    assertRefused(OperatorSmsBudget.OWNER_ANONYMOUS_HOURLY, () -> budget.reserve(owner, APP, 4, NONE, true));

    age("*{" + owner + "}*", 59);
    OperatorSmsBudget.Reservation late = on(() -> budget.reserve(owner, APP, 4, NONE, true));
    assertEquals(OperatorSmsBudget.OWNER_ANONYMOUS_HOURLY, late.refusedFor(), late.toString());
    assertTrue(late.retryAfterMs() > 0 && late.retryAfterMs() <= 60_000, "until the oldest minute leaves: " + late);
    age("*{" + owner + "}*", 2);
    assertRoom(() -> budget.reserve(owner, APP, 4, NONE, true));
  }

  @Test
  @DisplayName("a counter key that is not a hash (a stray one) counts as empty instead of failing every send (h60)")
  void strayKeyCountsAsEmpty() throws Exception {
    UUID owner = UUID.randomUUID();
    String key = redis.key("sms-owner-hour", "{" + owner + "}");
    on(() -> redis.send(io.vertx.redis.client.Command.SET, key, "5"));
    assertRoom(() -> budget.reserve(owner, APP, 4, NONE, false));
    assertRoom(() -> budget.spent(owner, APP, 4, NONE, false));
  }

  @Test
  @DisplayName("a place is given back to the minute it was taken in, not to a newer one's sends (h60: taken from the "
      + "newer minute, the ceiling could be passed by one a minute for an hour later)")
  void givenBackToItsMinute() throws Exception {
    dev.portcullis.core.RedisScript reserve = dev.portcullis.core.RedisScript.load("sliding-reserve.lua");
    dev.portcullis.core.RedisScript release = dev.portcullis.core.RedisScript.load("sliding-release.lua");
    String key = redis.key("test-hour", "{" + UUID.randomUUID() + "}");
    io.vertx.redis.client.Response taken = on(() -> reserve.run(redis, List.of(key),
        List.of("10", "3600000", "60000", "reserve")));
    String bucket = taken.get(2).toString();
    String next = Long.toString(Long.parseLong(bucket) + 1);
    on(() -> redis.send(io.vertx.redis.client.Command.HINCRBY, key, next, "2"));
    on(() -> release.run(redis, List.of(key), List.of(bucket)));
    assertEquals(0, on(() -> redis.send(io.vertx.redis.client.Command.HGET, key, bucket)).toInteger());
    assertEquals(2, on(() -> redis.send(io.vertx.redis.client.Command.HGET, key, next)).toInteger());
  }

  /** Moves every count of the counters matching {@code pattern} {@code minutes} into the past, as time would. */
  private static void age(String pattern, int minutes) throws Exception {
    io.vertx.redis.client.Response keys = on(() -> redis.send(io.vertx.redis.client.Command.KEYS,
        redis.key(pattern)));
    assertTrue(keys.size() > 0, "the counters of " + pattern);
    for (io.vertx.redis.client.Response key : keys) {
      io.vertx.redis.client.Response buckets = on(() -> redis.send(io.vertx.redis.client.Command.HGETALL,
          key.toString()));
      for (String bucket : buckets.getKeys()) {
        long count = buckets.get(bucket).toLong();
        on(() -> redis.send(io.vertx.redis.client.Command.HDEL, key.toString(), bucket));
        on(() -> redis.send(io.vertx.redis.client.Command.HINCRBY, key.toString(),
            Long.toString(Long.parseLong(bucket) - minutes), Long.toString(count)));
      }
    }
  }

  private static void assertRoom(Supplier<Future<OperatorSmsBudget.Reservation>> call) throws Exception {
    OperatorSmsBudget.Reservation reservation = on(call);
    assertFalse(reservation.refused(), reservation.toString());
  }

  private static void assertRefused(String reason, Supplier<Future<OperatorSmsBudget.Reservation>> call)
      throws Exception {
    OperatorSmsBudget.Reservation reservation = on(call);
    assertEquals(reason, reservation.refusedFor(), reservation.toString());
    assertTrue(reservation.retryAfterMs() > 3_000_000 && reservation.retryAfterMs() <= 3_600_000,
        "until the hour ends: " + reservation);
  }

  private static <T> T on(Supplier<Future<T>> call) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    vertx.runOnContext(ignored -> call.get().onComplete(done -> {
      if (done.succeeded()) {
        result.complete(done.result());
      } else {
        result.completeExceptionally(done.cause());
      }
    }));
    return result.get(10, TimeUnit.SECONDS);
  }
}
