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
 * that finds no app counts as a failure of the caller's address ({@link ClientFailures}, summarised as
 * {@value #UNKNOWN_APP}), and an address over the failure limit is answered {@code 429 rate_limited} before
 * any look-up. Ids already remembered as unknown cost no query and count nothing, nor do requests for an id this
 * verticle is looking up already (they share its query), so a stale id a whole network keeps asking for counts once
 * per verticle and 30 s; a malformed id costs nothing either and goes on to the route's own answer. The route's
 * handler then finds the app in {@link AppDirectory}'s cache. Event-loop confined: one guard per HTTP verticle.
 */
public final class AppIdGuard implements Handler<RoutingContext> {

  static final String UNKNOWN_APP = "client.unknown_app";

  private final AppDirectory directory;
  private final UnknownApps unknown;
  private final ClientFailures failures;
  /** Ids this verticle is looking up now: concurrent requests for one id share its query, and count once. */
  private final Set<UUID> lookingUp = new HashSet<>();

  public AppIdGuard(AppDirectory directory, UnknownApps unknown, ClientFailures failures) {
    this.directory = directory;
    this.unknown = unknown;
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
    if (appId == null || unknown.contains(appId, System.currentTimeMillis()) || !lookingUp.add(appId)) {
      ctx.next();
      return;
    }
    directory.find(appId)
        .compose(found -> found.isPresent() ? Future.<Void>succeededFuture()
            : failures.count(UNKNOWN_APP, null, callerIp))
        .onComplete(ignored -> {
          lookingUp.remove(appId);
          ctx.next();
        });
  }
}
