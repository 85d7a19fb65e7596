package dev.portcullis.hosted;

import dev.portcullis.app.App;
import dev.portcullis.core.FixedWindow;
import dev.portcullis.core.RedisStore;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;

/**
 * The share of an app's SMS budgets its hosted pages may spend in an hour: half of each (the app's hourly budget
 * and its budget per country, under the operator's ceiling). The pages are open to anyone who knows the app id, so
 * strangers sending codes to numbers they chose could otherwise spend all of it, and the app's own backend would
 * then get 429 for the rest of the hour. Counted before the send, in a fixed window per app (and per country).
 */
final class HostedSmsBudget {

  private static final long HOUR_MS = 3_600_000;

  private final RedisStore redis;
  private final FixedWindow window;
  private final int ceiling;

  HostedSmsBudget(RedisStore redis, int ceiling) {
    this.redis = redis;
    this.window = new FixedWindow(redis, 1, HOUR_MS);
    this.ceiling = ceiling;
  }

  /** Seconds until the hosted pages of the app may send an SMS to this phone's country again; 0 when they may now. */
  Future<Long> waitFor(App app, Identity phone) {
    String tag = "{" + app.id() + "}";
    int hourly = half(app.settings().smsMaxSendsPerHour());
    int perCountry = half(app.settings().smsMaxSendsPerHourPerCountry());
    return window.count(redis.key("hosted-sms", tag), hourly)
        .compose(wait -> wait > 0 ? Future.succeededFuture(wait)
            : window.count(redis.key("hosted-sms", tag, country(phone)), perCountry));
  }

  /** A flow keeps the number alone ({@link Identity#fromQualified}): its country is read from it again. */
  private static String country(Identity phone) {
    return phone.country() != null ? phone.country() : Identity.phone(phone.value()).country();
  }

  private int half(int budget) {
    return Math.max(1, Math.min(budget, ceiling) / 2);
  }
}
