package dev.portcullis.conversation;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.ClientFailures;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.FixedWindow;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import dev.portcullis.core.Secrets;
import dev.portcullis.hosted.BrowserCookie;
import dev.portcullis.hosted.Flow;
import dev.portcullis.hosted.FlowEngine;
import dev.portcullis.hosted.HostedApi;
import dev.portcullis.hosted.HostedPages;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.http.ErrorResponder;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Conversations (Authologic-compatible): {@code POST /api/conversations} and {@code GET /api/conversations/{id}} for
 * client backends, and the conversation's page {@code GET /hosted/conversations/{id}} (its {@code url}) that starts
 * a flow on the hosted page engine in the first browser that opens it.
 */
public final class ConversationApi {

  static final String CREATED = "conversation.created";
  static final String AUTHOLOGIC = "application/vnd.authologic.v1.1+json";
  /** The summary an unknown conversation link's visit counts under, toward the address's anonymous failures. */
  static final String UNKNOWN_LINK = "client.unknown_conversation";

  private final AppDirectory apps;
  private final ClientFailures failures;
  private final AuditLog audit;
  private final FlowEngine engine;
  private final ConversationStore store;
  private final ConversationKind kind;
  private final RedisStore redis;
  private final FixedWindow creations;
  private final int creationsPerHour;
  private final String issuer;

  /** {@code PORTCULLIS_CONVERSATIONS_PER_HOUR_PER_APP}: 1 to 100,000,000, by default 100,000. */
  public static int creationsPerHour(GatewayConfig config) {
    return config.integer(GatewayConfig.CONVERSATIONS_PER_HOUR_PER_APP, 100_000, 1, 100_000_000);
  }

  /**
   * {@code creationsPerHour}: conversations one app may create in an hour
   * ({@code PORTCULLIS_CONVERSATIONS_PER_HOUR_PER_APP}): each is a row of the shared database, and one app's
   * backend in a loop must not fill it for every tenant.
   */
  public ConversationApi(String issuer, Postgres pg, RedisStore redis, AuditLog audit, AppDirectory apps,
                         ClientFailures failures, HostedApi hosted, int creationsPerHour) {
    this.apps = apps;
    this.failures = failures;
    this.redis = redis;
    this.creationsPerHour = creationsPerHour;
    this.creations = new FixedWindow(redis, creationsPerHour, 3_600_000);
    this.audit = audit;
    this.store = new ConversationStore(pg);
    this.kind = new ConversationKind(store, audit);
    this.engine = hosted.engine().register(kind);
    this.issuer = issuer.replaceAll("/+$", "");
  }

  /** {@code POST /api/conversations} (client guard). */
  public void create(RoutingContext ctx) {
    clientApp(ctx)
        .compose(app -> {
          ConversationRequest request = ConversationRequest.parse(JsonBody.of(ctx), app);
          return creations.count(redis.key("conversation-creations", "{" + app.id() + "}"))
              .compose(wait -> wait > 0
                  ? Future.failedFuture(ApiException.rateLimited(ErrorCode.RATE_LIMITED, "conversations: at most "
                      + creationsPerHour + " an hour per app; retry in " + wait + " s", wait))
                  : create(ctx, app, request));
        })
        .onFailure(ctx::fail);
  }

  private Future<App> clientApp(RoutingContext ctx) {
    return apps.find(ClientAuth.appId(ctx)).compose(app -> app
        .map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(AppDirectory.invalidClient())));
  }

  private Future<Void> create(RoutingContext ctx, App app, ConversationRequest request) {
    UUID id = UUID.randomUUID();
    Future<Boolean> known = request.challenge() == null
        ? Future.succeededFuture(true)
        : store.challenged(app.id(), request.challenge()).map(user -> user != null);
    return known.compose(challengeKnown -> {
          // An unknown challenge ends the conversation at once: FINISHED, with auth FAILED.
          JsonObject result = challengeKnown ? new JsonObject()
              : new JsonObject().put("auth", new JsonObject().put("status", "FAILED"));
          return store.insert(id, app.id(), request.userKey(), request.returnUrl(), request.query(),
              challengeKnown ? "CREATED" : "FINISHED", result);
        })
        .compose(conversation -> audit(ctx, app, conversation).map(conversation))
        .onSuccess(conversation -> answer(ctx, 201, new JsonObject()
            .put("id", conversation.id().toString())
            .put("url", issuer + "/hosted/conversations/" + conversation.id())
            .put("status", conversation.status())
            .put("userKey", conversation.userKey())
            .put("returnUrl", conversation.returnUrl())
            .put("query", conversation.query())))
        .mapEmpty();
  }

  /** {@code GET /api/conversations/{id}} (client guard). */
  public void read(RoutingContext ctx) {
    UUID appId = ClientAuth.appId(ctx);
    UUID id = AppDirectory.parseUuid(ctx.pathParam("id"));
    if (id == null) {
      ctx.fail(notFound());
      return;
    }
    store.find(id, appId)
        .compose(found -> found == null ? Future.failedFuture(notFound()) : Future.succeededFuture(found))
        .onSuccess(conversation -> answer(ctx, 200, conversation.toJson()))
        .onFailure(ctx::fail);
  }

  /**
   * The conversation's url: binds it to this browser on first open (loaded as a page only), then shows the flow's
   * first step. Each open is a query, so a link that names no conversation counts toward the address's anonymous
   * failures (as an unknown app id does), and an address over them is refused before any query.
   */
  public void open(RoutingContext ctx) {
    UUID id = AppDirectory.parseUuid(ctx.pathParam("id"));
    if (id == null) {
      HostedPages.problem(ctx, 404, null, "This sign-in link is not valid.");
      return;
    }
    if (engine.refusedAsSubresource(ctx, null, ConversationKind.NAME)) {
      return;
    }
    String callerIp = Requests.callerIp(ctx);
    ApiException refusal = failures.anonymousRefusal(callerIp);
    if (refusal != null) {
      FlowEngine.failed(ctx, refusal);
      return;
    }
    String browser = engine.cookie().ensure(ctx);
    store.bind(id, Secrets.sha256(browser))
        .compose(conversation -> {
          if (conversation == null) {
            return failures.countAnonymous(UNKNOWN_LINK, null, callerIp)
                .onComplete(counted -> HostedPages.problem(ctx, 404, null, "This sign-in link is not valid."));
          }
          return apps.find(conversation.appId()).compose(app -> {
            if (app.isEmpty() || !conversation.open()) {
              HostedPages.problem(ctx, 400, app.orElse(null), "This sign-in is over.");
              return Future.succeededFuture();
            }
            if (conversation.boundElsewhere()) {
              HostedPages.problem(ctx, 403, app.get(), "This sign-in link was already opened in another browser.");
              return Future.succeededFuture();
            }
            return start(ctx, app.get(), conversation);
          });
        })
        .onFailure(failure -> FlowEngine.failed(ctx, failure));
  }

  private Future<Void> start(RoutingContext ctx, App app, Conversation conversation) {
    String challenge = conversation.challenge();
    Future<ConversationStore.Challenged> challenged = challenge == null
        ? Future.succeededFuture(null)
        : store.challenged(app.id(), UUID.fromString(challenge));
    return challenged.compose(user -> {
      if (challenge != null && user == null) {
        // Its user was deleted after the conversation was made.
        return kind.failUnknownChallenge(app, conversation.id(), FlowEngine.visit(ctx))
            .onSuccess(v -> HostedPages.problem(ctx, 400, app, "This sign-in is over."));
      }
      if (!ConversationRequest.matchesCallback(app, conversation.returnUrl())) {
        // The app's callback URLs no longer cover its returnUrl: over (EXPIRED), as on a later step.
        return store.end(conversation.id())
            .onSuccess(v -> HostedPages.problem(ctx, 400, app, "This sign-in is over."));
      }
      String identity = user == null ? null
          : user.method().equals("phone") ? "phone:" + user.phone() : "email:" + user.email();
      ConversationRequest request = ConversationRequest.parse(new JsonObject()
          .put("userKey", conversation.userKey())
          .put("returnUrl", conversation.returnUrl())
          .put("query", conversation.query()), app);
      Flow flow = Flow.start(app.id(), ConversationKind.NAME, identity, request.asked(), request.requireOneOf(),
          ConversationKind.data(conversation, user == null ? null : user.userId()));
      return engine.begin(ctx, app, flow);
    });
  }

  private Future<Void> audit(RoutingContext ctx, App app, Conversation conversation) {
    AuditEvent event = AuditEvent.of(CREATED, app.id(), RequestIds.of(ctx), Requests.clientIp(ctx))
        .with("conversation_id", conversation.id().toString())
        .with("status", conversation.status())
        .with("authentication", conversation.challenge() != null);
    List<AuditEvent> events = conversation.status().equals("FINISHED")
        ? List.of(event, AuditEvent.of(ConversationKind.FINISHED, app.id(), RequestIds.of(ctx), null)
            .with("conversation_id", conversation.id().toString())
            .with("auth_status", "FAILED")
            .with("reason", "unknown_challenge"))
        : List.of(event);
    return audit.record(events);
  }

  /**
   * Answers in the media type the backend spoke: Authologic's own when it asked for it, or sent it and did not ask
   * for plain JSON by name (an {@code Accept} of {@code *}{@code /*}, as most clients send, leaves the choice to what
   * it sent).
   */
  private static void answer(RoutingContext ctx, int status, JsonObject body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", authologic(ctx) ? AUTHOLOGIC : "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.toBuffer());
  }

  private static boolean authologic(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    String asked = accept == null ? "" : accept.toLowerCase(Locale.ROOT);
    String sent = ctx.request().getHeader("Content-Type");
    return asked.contains(AUTHOLOGIC) || !asked.contains("application/json")
        && sent != null && sent.toLowerCase(Locale.ROOT).startsWith(AUTHOLOGIC);
  }

  /**
   * Before the body is read: this API's errors (a malformed body included) come in the media type its answers
   * would, as API.md's "answered in kind" asks (h45: always application/json).
   */
  public static void errorsInKind(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if ((path.equals("/api/conversations") || path.startsWith("/api/conversations/")) && authologic(ctx)) {
      ctx.put(ErrorResponder.MEDIA_TYPE, AUTHOLOGIC);
    }
    ctx.next();
  }

  private static ApiException notFound() {
    return new ApiException(ErrorCode.NOT_FOUND, "id: no such conversation");
  }
}
