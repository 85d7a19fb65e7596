package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.http.Requests;
import dev.portcullis.http.SourceNetwork;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Guard for the anonymous routes that name an app in their path (the hosted pages, OpenID Connect's public
 * endpoints, the JWKS). A stranger cycling random app ids there costs one Postgres query per id, so a look-up
 * that finds no app counts toward the caller's limit of anonymous failures ({@link ClientFailures#anonymousRefusal},
 * summarised as {@value #UNKNOWN_APP}), and an address over it is answered {@code 429 rate_limited} before any
 * look-up, but for apps known to exist ({@link KnownApps}: asked for in the last minute on this process, kept while
 * they are), so a page making its visitors' browsers ask for random ids cannot keep them from an app others use. A
 * limit apart from failed client authentications, which this guard leaves to the client-authenticated routes: a
 * page cannot get a backend refused its credentials this way, nor keep visitors from a sign-in page with a page's
 * wrong client secrets. An app nobody asked for in that minute is refused to such an address until it ends:
 * telling it from a random id takes the query the limit saves.
 *
 * <p>Ids remembered as unknown cost no query and count nothing, nor do requests for an id this verticle is looking
 * up already (they share its query), so a stale id a whole network keeps asking for counts once per verticle and
 * 30 s; a malformed id costs nothing either and goes on to the route's own answer. A miss counts only once its query
 * answered, so an address runs at most {@value #LOOKUPS_IN_FLIGHT_PER_ADDRESS} look-ups at once on a verticle and
 * the next ones wait their turn (at most {@value #WAITING_PER_ADDRESS}; beyond, {@code 429}). The route's handler
 * then finds the app in {@link AppDirectory}'s cache. Event-loop confined: one guard per HTTP verticle.
 */
public final class AppIdGuard implements Handler<RoutingContext> {

  static final String UNKNOWN_APP = "client.unknown_app";
  static final int LOOKUPS_IN_FLIGHT_PER_ADDRESS = 4;
  static final int WAITING_PER_ADDRESS = 64;

  private final AppDirectory directory;
  private final UnknownApps unknown;
  private final KnownApps known;
  private final ClientFailures failures;
  /** Ids this verticle is looking up now: concurrent requests for one id share its query, and count once. */
  private final Set<UUID> lookingUp = new HashSet<>();
  /** Per address with look-ups running on this verticle: how many, and the requests waiting for one to end. */
  private final Map<String, Lookups> lookupsOf = new HashMap<>();

  private static final class Lookups {
    private int running;
    private final Deque<RoutingContext> waiting = new ArrayDeque<>();
  }

  public AppIdGuard(AppDirectory directory, UnknownApps unknown, KnownApps known, ClientFailures failures) {
    this.directory = directory;
    this.unknown = unknown;
    this.known = known;
    this.failures = failures;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String callerIp = Requests.callerIp(ctx);
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    long now = System.currentTimeMillis();
    if (appId == null) {
      ctx.next();
      return;
    }
    if (known.contains(appId, now)) {
      known.remember(appId, now); // kept while it is in use
      ctx.next();
      return;
    }
    ApiException refusal = failures.anonymousRefusal(callerIp);
    if (refusal != null) {
      ctx.fail(refusal);
      return;
    }
    if (unknown.contains(appId, now) || lookingUp.contains(appId)) {
      ctx.next();
      return;
    }
    String address = SourceNetwork.limitKey(callerIp);
    Lookups lookups = lookupsOf.computeIfAbsent(address, ignored -> new Lookups());
    if (lookups.running >= LOOKUPS_IN_FLIGHT_PER_ADDRESS) {
      if (lookups.waiting.size() >= WAITING_PER_ADDRESS) {
        ctx.fail(ApiException.rateLimited(ErrorCode.RATE_LIMITED, "too many requests at once from this address", 1));
      } else {
        lookups.waiting.add(ctx);
      }
      return;
    }
    lookups.running++;
    lookingUp.add(appId);
    directory.find(appId)
        .compose(found -> {
          if (found.isPresent()) {
            known.remember(appId, System.currentTimeMillis());
            return Future.<Void>succeededFuture();
          }
          return failures.countAnonymous(UNKNOWN_APP, null, callerIp);
        })
        .onComplete(ignored -> {
          lookingUp.remove(appId);
          ctx.next();
          lookups.running--;
          resumeWaiting(address, lookups);
        });
  }

  /**
   * Hands the address's waiting requests to the guard again, each checked afresh (the address may be refused now,
   * its id known), until one takes the freed place or none waits.
   */
  private void resumeWaiting(String address, Lookups lookups) {
    while (lookups.running < LOOKUPS_IN_FLIGHT_PER_ADDRESS && !lookups.waiting.isEmpty()) {
      RoutingContext next = lookups.waiting.poll();
      if (!next.response().closed()) {
        handle(next);
      }
    }
    if (lookups.running == 0 && lookups.waiting.isEmpty()) {
      lookupsOf.remove(address, lookups);
    }
  }
}
