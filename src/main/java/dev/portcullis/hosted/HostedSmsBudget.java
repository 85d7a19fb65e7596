package dev.portcullis.hosted;

import dev.portcullis.app.App;
import dev.portcullis.core.FixedWindow;
import dev.portcullis.core.RedisStore;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * The share of an app's SMS budgets its hosted pages may spend in an hour: half of each, rounded down (the app's
 * hourly budget and its budget per country, under the operator's ceiling). The pages are open to anyone who knows
 * the app id, so strangers sending codes to numbers they chose could otherwise spend all of it, and the app's own
 * backend would then get 429 for the rest of the hour. Only codes sent count, in fixed hourly windows per app and
 * per country: counting attempts, a stranger's refused ones (a country the app does not serve, a cooldown) closed the
 * pages' SMS for everyone without a single SMS sent.
 */
final class HostedSmsBudget {

  private static final long HOUR_MS = 3_600_000;

  private final RedisStore redis;
  private final FixedWindow window;
  private final int ceiling;

  HostedSmsBudget(RedisStore redis, int ceiling) {
    this.redis = redis;
    this.window = new FixedWindow(redis, Integer.MAX_VALUE, HOUR_MS);
    this.ceiling = ceiling;
  }

  /**
   * Whether the app's hosted pages may send an SMS to this phone's country now: read, not counted (a few sends at
   * once may each be admitted by the same count, and go over by as many).
   */
  Future<Boolean> admits(App app, Identity phone) {
    int hourly = half(app.settings().smsMaxSendsPerHour());
    int perCountry = half(app.settings().smsMaxSendsPerHourPerCountry());
    if (hourly == 0 || perCountry == 0) {
      return Future.succeededFuture(false);
    }
    return redis.batch(List.of(Request.cmd(Command.GET).arg(hourlyKey(app)),
            Request.cmd(Command.GET).arg(countryKey(app, phone))))
        .map(counts -> count(counts.get(0)) < hourly && count(counts.get(1)) < perCountry);
  }

  /** Counts an SMS the pages sent. */
  Future<Void> sent(App app, Identity phone) {
    return Future.join(window.count(hourlyKey(app)), window.count(countryKey(app, phone))).mapEmpty();
  }

  private String hourlyKey(App app) {
    return redis.key("hosted-sms", "{" + app.id() + "}");
  }

  private String countryKey(App app, Identity phone) {
    return redis.key("hosted-sms", "{" + app.id() + "}", country(phone));
  }

  private static long count(Response value) {
    return value == null ? 0 : value.toLong();
  }

  /** A flow keeps the number alone ({@link Identity#fromQualified}): its country is read from it again. */
  private static String country(Identity phone) {
    return phone.country() != null ? phone.country() : Identity.phone(phone.value()).country();
  }

  /** Half, rounded down: a budget of 1 leaves the pages none, and the backend its one. */
  private int half(int budget) {
    return Math.min(budget, ceiling) / 2;
  }
}
