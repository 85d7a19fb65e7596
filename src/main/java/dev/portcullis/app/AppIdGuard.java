package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.http.Requests;
import dev.portcullis.http.SourceNetwork;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Guard for the anonymous routes that name an app in their path (the hosted pages, OpenID Connect's public
 * endpoints, the JWKS). A stranger cycling random app ids there costs one Postgres query per id, so a look-up
 * that finds no app counts toward a limit of the caller's address ({@link ClientFailures#unknownAppsRefusal},
 * summarised as {@value #UNKNOWN_APP}), and an address over it is answered {@code 429 rate_limited} before any
 * look-up, but for apps known to exist ({@link KnownApps}: asked for in the last minute on this process), so a page
 * making its visitors' browsers ask for random ids cannot keep them from an app others use, nor their backend from
 * its credentials (a limit apart from failed client authentications, which are refused here too). An app nobody
 * asked for in that minute is refused to such an address until it ends: telling it from a random id takes the
 * query the limit saves. Ids already remembered as unknown cost no query and count nothing, nor do requests for an
 * id this verticle is looking up already (they share its query), so a stale id a whole network keeps asking for
 * counts once per verticle and 30 s; a malformed id costs nothing either and goes on to the route's own answer.
 * The route's handler then finds the app in {@link AppDirectory}'s cache. Event-loop confined: one guard per HTTP
 * verticle.
 */
public final class AppIdGuard implements Handler<RoutingContext> {

  static final String UNKNOWN_APP = "client.unknown_app";

  private final AppDirectory directory;
  private final UnknownApps unknown;
  private final KnownApps known;
  private final ClientFailures failures;
  /** Ids this verticle is looking up now: concurrent requests for one id share its query, and count once. */
  private final Set<UUID> lookingUp = new HashSet<>();
  /**
   * Look-ups this verticle runs now per address: the limit counts a miss only once its query answered, so an
   * address's requests in flight together would all pass it (h88: 77 queries for a limit of 20, 100 at once).
   */
  private final Map<String, Integer> lookingUpFor = new HashMap<>();
  static final int LOOKUPS_IN_FLIGHT_PER_ADDRESS = 4;

  public AppIdGuard(AppDirectory directory, UnknownApps unknown, KnownApps known, ClientFailures failures) {
    this.directory = directory;
    this.unknown = unknown;
    this.known = known;
    this.failures = failures;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String callerIp = Requests.callerIp(ctx);
    ApiException refusal = failures.refusal(callerIp);
    if (refusal != null) {
      ctx.fail(refusal);
      return;
    }
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    long now = System.currentTimeMillis();
    if (appId == null || known.contains(appId, now)) {
      ctx.next();
      return;
    }
    ApiException unknownApps = failures.unknownAppsRefusal(callerIp);
    if (unknownApps != null) {
      ctx.fail(unknownApps);
      return;
    }
    if (unknown.contains(appId, now) || lookingUp.contains(appId)) {
      ctx.next();
      return;
    }
    String address = SourceNetwork.limitKey(callerIp);
    if (lookingUpFor.getOrDefault(address, 0) >= LOOKUPS_IN_FLIGHT_PER_ADDRESS) {
      ctx.fail(ApiException.rateLimited(ErrorCode.RATE_LIMITED, "too many requests at once from this address", 1));
      return;
    }
    lookingUp.add(appId);
    lookingUpFor.merge(address, 1, Integer::sum);
    directory.find(appId)
        .compose(found -> {
          if (found.isPresent()) {
            known.remember(appId, System.currentTimeMillis());
            return Future.<Void>succeededFuture();
          }
          return failures.count(UNKNOWN_APP, null, callerIp);
        })
        .onComplete(ignored -> {
          lookingUp.remove(appId);
          lookingUpFor.computeIfPresent(address, (key, count) -> count == 1 ? null : count - 1);
          ctx.next();
        });
  }
}
