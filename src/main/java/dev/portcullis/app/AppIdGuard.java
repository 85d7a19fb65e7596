package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import dev.portcullis.http.Requests;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
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
    if (unknown.contains(appId, now) || !lookingUp.add(appId)) {
      ctx.next();
      return;
    }
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
          ctx.next();
        });
  }
}
