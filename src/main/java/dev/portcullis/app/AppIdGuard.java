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
import java.util.function.Predicate;

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
 * the next ones wait their turn (at most {@value #WAITING_PER_ADDRESS}, each a backend timeout at most; beyond,
 * {@code 429}, and {@code 503} once Postgres could not answer a look-up). The route's handler
 * then finds the app in {@link AppDirectory}'s cache. Event-loop confined: one guard per HTTP verticle.
 */
public final class AppIdGuard implements Handler<RoutingContext> {

  static final String UNKNOWN_APP = "client.unknown_app";
  static final int LOOKUPS_IN_FLIGHT_PER_ADDRESS = 4;
  static final int WAITING_PER_ADDRESS = 64;
  private static final Predicate<UUID> NOTHING = appId -> false;

  private final AppDirectory directory;
  private final UnknownApps unknown;
  private final KnownApps known;
  private final ClientFailures failures;
  /** Ids this verticle is looking up now: concurrent requests for one id share its query, and count once. */
  private final Set<UUID> lookingUp = new HashSet<>();
  /** Per address with look-ups running on this verticle: how many, and the requests waiting for one to end. */
  private final Map<String, Lookups> lookupsOf = new HashMap<>();

  private final long backendTimeoutMs;

  private static final class Lookups {
    private int running;
    private final Deque<Waiting> waiting = new ArrayDeque<>();
  }

  private record Waiting(RoutingContext ctx, Predicate<UUID> servedWithoutStore, long sinceMs) {
  }

  /** {@code backendTimeoutMs}: the longest a request waits its turn (PORTCULLIS_BACKEND_TIMEOUT_MS), then 503. */
  public AppIdGuard(AppDirectory directory, UnknownApps unknown, KnownApps known, ClientFailures failures,
                    long backendTimeoutMs) {
    this.directory = directory;
    this.unknown = unknown;
    this.known = known;
    this.failures = failures;
    this.backendTimeoutMs = backendTimeoutMs;
  }

  @Override
  public void handle(RoutingContext ctx) {
    handle(ctx, NOTHING);
  }

  /**
   * The guard for a route that can answer for some apps while Postgres is unavailable (the JWKS, from the copy last
   * loaded): a look-up that could not reach Postgres passes those on to it. Every other request is answered
   * {@code 503} then, not handed to a route that would wait a second backend timeout on the same query.
   */
  public Handler<RoutingContext> servingWhenStoreFails(Predicate<UUID> servedWithoutStore) {
    return ctx -> handle(ctx, servedWithoutStore);
  }

  private void handle(RoutingContext ctx, Predicate<UUID> servedWithoutStore) {
    String callerIp = Requests.callerIp(ctx);
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    long now = System.currentTimeMillis();
    if (appId == null) {
      ctx.next();
      return;
    }
    if (known.keep(appId, now)) {
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
        lookups.waiting.add(new Waiting(ctx, servedWithoutStore, now));
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
        .onComplete(looked -> {
          lookingUp.remove(appId);
          if (looked.succeeded()) {
            ctx.next();
          } else {
            storeFailed(ctx, appId, servedWithoutStore);
          }
          lookups.running--;
          resumeWaiting(address, lookups, looked.failed());
        });
  }

  /** A look-up Postgres could not answer: 503, but for a route that can answer for this app without it. */
  private static void storeFailed(RoutingContext ctx, UUID appId, Predicate<UUID> servedWithoutStore) {
    if (servedWithoutStore.test(appId)) {
      ctx.next();
    } else {
      ctx.fail(ApiException.unavailable("the app directory"));
    }
  }

  /**
   * Hands the address's waiting requests to the guard again, each checked afresh (the address may be refused now,
   * its id known), until one takes the freed place or none waits. When the look-up that ended could not reach
   * Postgres, or a request has waited a backend timeout, it is answered {@code 503} instead: one look-up at a time
   * after another, a queue behind an unreachable store would wait past the connections' idle timeout.
   */
  private void resumeWaiting(String address, Lookups lookups, boolean storeFailed) {
    long now = System.currentTimeMillis();
    while (!lookups.waiting.isEmpty()
        && (storeFailed || now - lookups.waiting.peek().sinceMs() >= backendTimeoutMs)) {
      Waiting late = lookups.waiting.poll();
      if (!late.ctx().response().closed()) {
        storeFailed(late.ctx(), AppDirectory.parseUuid(late.ctx().pathParam("app_id")), late.servedWithoutStore());
      }
    }
    while (lookups.running < LOOKUPS_IN_FLIGHT_PER_ADDRESS && !lookups.waiting.isEmpty()) {
      Waiting next = lookups.waiting.poll();
      if (!next.ctx().response().closed()) {
        handle(next.ctx(), next.servedWithoutStore());
      }
    }
    if (lookups.running == 0 && lookups.waiting.isEmpty()) {
      lookupsOf.remove(address, lookups);
    }
  }
}
