package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The per-verticle TTL cache")
class TtlCacheTest {

  @Test
  @DisplayName("drops expired entries as new ones arrive, so keys seen once do not pile up to the cap (soak finding)")
  void expiredEntriesDoNotAccumulate() {
    TtlCache<UUID, String> cache = new TtlCache<>(50, 100_000);
    for (int i = 0; i < 1_000; i++) {
      cache.get(UUID.randomUUID(), key -> Future.succeededFuture("view"));
    }
    assertEquals(1_000, cache.size(), "fresh entries are kept");
    long started = System.nanoTime();
    Await.until("the first entries to expire", Duration.ofSeconds(5), () -> System.nanoTime() - started > 60_000_000L);
    cache.get(UUID.randomUUID(), key -> Future.succeededFuture("view"));
    assertEquals(1, cache.size(), "the expired thousand are gone, the new entry stays");
  }

  @Test
  @DisplayName("a fresh entry is served from the cache without loading again")
  void freshEntryServed() {
    TtlCache<String, Integer> cache = new TtlCache<>(60_000, 10);
    int[] loads = {0};
    cache.get("k", key -> Future.succeededFuture(++loads[0]));
    assertEquals(1, cache.get("k", key -> Future.succeededFuture(++loads[0])).result());
    assertTrue(loads[0] == 1);
  }

  @Test
  @DisplayName("a load under way when its key is forgotten (a key rotated meanwhile) is not kept")
  void forgottenLoadNotKept() {
    TtlCache<String, String> cache = new TtlCache<>(60_000, 10);
    Promise<String> stale = Promise.promise();
    cache.get("app", key -> stale.future());
    cache.forget("app");
    stale.complete("old key set");
    assertEquals("new key set", cache.get("app", key -> Future.succeededFuture("new key set")).result());
  }

  @Test
  @DisplayName("a load under way when matching entries are forgotten is not kept either (an unknown kid just stored)")
  void loadUnderWayNotKeptAfterForgetIf() {
    TtlCache<String, Boolean> unknown = new TtlCache<>(60_000, 10);
    Promise<Boolean> lookup = Promise.promise();
    unknown.get("kid-2", key -> lookup.future());
    unknown.forgetIf(Boolean.TRUE::equals);
    lookup.complete(true);
    assertEquals(false, unknown.get("kid-2", key -> Future.succeededFuture(false)).result());
  }
}
