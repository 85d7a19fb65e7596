package dev.portcullis.hosted;

import dev.portcullis.app.App;
import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;
import java.util.List;

/**
 * The share of an app's SMS budgets its hosted pages may spend in an hour: half of each, rounded down (the app's
 * hourly budget and its budget per country, under the operator's ceiling). The pages are open to anyone who knows
 * the app id, so strangers sending codes to numbers they chose could otherwise spend all of it, and the app's own
 * backend would then get 429 for the rest of the hour. A send reserves its place in both hourly windows at once
 * (one script, so a burst cannot pass the same count) and gives it back when its code is not sent: counting tries,
 * a stranger's refused ones (a country the app does not serve, a cooldown) closed the pages' SMS for everyone
 * without a single SMS sent. The windows slide, as the budgets they are half of do (one-minute buckets).
 */
final class HostedSmsBudget {

  private static final long HOUR_MS = 3_600_000;
  private static final long BUCKET_MS = 60_000;
  private static final RedisScript RESERVE = RedisScript.load("sliding-reserve.lua");
  private static final RedisScript RELEASE = RedisScript.load("sliding-release.lua");

  private final RedisStore redis;
  private final int ceiling;

  HostedSmsBudget(RedisStore redis, int ceiling) {
    this.redis = redis;
    this.ceiling = ceiling;
  }

  /** A place taken in the pages' share: the minute's bucket it is given back to. */
  record Place(long bucket) {
  }

  /** Takes a place for an SMS to this phone's country: null when the pages' share of either budget is spent. */
  Future<Place> reserve(App app, Identity phone) {
    int hourly = half(app.settings().smsMaxSendsPerHour());
    int perCountry = half(app.settings().smsMaxSendsPerHourPerCountry());
    if (hourly == 0 || perCountry == 0) {
      return Future.succeededFuture();
    }
    return RESERVE.run(redis, keys(app, phone),
            List.of(Integer.toString(hourly), Integer.toString(perCountry), Long.toString(HOUR_MS),
                Long.toString(BUCKET_MS), "reserve"))
        .map(reply -> reply.get(0).toInteger() == 1 ? new Place(reply.get(2).toLong()) : null);
  }

  /** Gives back the place of a code that was not sent. */
  Future<Void> release(App app, Identity phone, Place place) {
    return RELEASE.run(redis, keys(app, phone), List.of(Long.toString(place.bucket()))).mapEmpty();
  }

  private List<String> keys(App app, Identity phone) {
    // Hashes of buckets: named apart from the fixed windows' counters (strings) an earlier release kept.
    String tag = "{" + app.id() + "}";
    return List.of(redis.key("hosted-sms-hour", tag), redis.key("hosted-sms-hour", tag, country(phone)));
  }

  /** A flow keeps the number alone ({@link Identity#fromQualified}): its country is read from it again. */
  private static String country(Identity phone) {
    return phone.country() != null ? phone.country() : Identity.countryOf(phone.value());
  }

  /** Half, rounded down: a budget of 1 leaves the pages none, and the backend its one. */
  private int half(int budget) {
    return Math.min(budget, ceiling) / 2;
  }
}
