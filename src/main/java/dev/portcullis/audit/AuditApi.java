package dev.portcullis.audit;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.AppRepository;
import dev.portcullis.http.QueryParams;
import dev.portcullis.http.Responses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** {@code GET /v1/apps/{app_id}/audit} (newest first, cursor pages) and {@code /audit/verify} (the chain). */
public final class AuditApi {

  /** Rows per round trip while verifying: a long chain is streamed, never loaded at once. */
  private static final int VERIFY_PAGE = 1000;
  private static final int VERIFYING_PER_LOOP = 2;
  /** Callers waiting for one of the loop's two places, first come first served, one entry each. */
  private static final int WAITING_PER_LOOP = 8;
  /** The most events one {@code /audit/verify} request checks; a longer chain answers a cursor to go on. */
  public static final String VERIFY_MAX_EVENTS = "PORTCULLIS_AUDIT_VERIFY_MAX_EVENTS";
  /** How long one {@code /audit/verify} request walks before it answers a cursor to go on. */
  public static final String VERIFY_BUDGET_MS = "PORTCULLIS_AUDIT_VERIFY_BUDGET_MS";

  public static int verifyMaxEvents(GatewayConfig config) {
    return config.integer(VERIFY_MAX_EVENTS, 100_000, 1, 100_000_000);
  }

  public static int verifyBudgetMs(GatewayConfig config) {
    return config.integer(VERIFY_BUDGET_MS, 10_000, 100, 600_000);
  }

  private final AppRepository apps;
  private final AuditReader reader;
  private final byte[] chainKey;
  private final byte[] ledgerKey;
  private final int verifyMaxEvents;
  private final long verifyBudgetNanos;
  /**
   * Verifications running on this event loop, and whose (the operator, or an owner's id): each holds a worker for
   * seconds and reads the chain in pages. One per caller, and two in all, at a time.
   */
  private final Set<String> verifyingFor = new HashSet<>();
  /**
   * Verifications asked for while both places were taken, in order: a place that frees goes to the first of them,
   * not to whoever asks next, so two callers looping verifications cannot keep a third out.
   */
  private final Deque<Waiting> waiting = new ArrayDeque<>();

  private record Waiting(String caller, RoutingContext ctx, long timer) {
  }

  /**
   * {@code masterKey}: PORTCULLIS_MASTER_KEY, whose audit-chain purpose key checks the keyed links and whose
   * ledger purpose key the rows of audit_exports. A verify request checks at most {@code verifyMaxEvents} events
   * and walks for about {@code verifyBudgetMs} at most (its last page may run over).
   */
  public AuditApi(AppRepository apps, AuditReader reader, byte[] masterKey, int verifyMaxEvents, long verifyBudgetMs) {
    this.apps = apps;
    this.reader = reader;
    this.chainKey = ChainHash.key(masterKey);
    this.ledgerKey = ExportLedger.key(masterKey);
    this.verifyMaxEvents = verifyMaxEvents;
    this.verifyBudgetNanos = TimeUnit.MILLISECONDS.toNanos(verifyBudgetMs);
  }

  public void list(RoutingContext ctx) {
    AuditQuery query = AuditQuery.from(QueryParams.of(ctx));
    visibleChain(ctx)
        .compose(appId -> reader.page(appId, query))
        .map(page -> new JsonObject()
            .put("events", new JsonArray(page.events().stream().map(StoredEvent::toJson).toList()))
            .put("next_cursor", page.nextCursor()))
        .onSuccess(body -> Responses.ok(ctx, body))
        .onFailure(ctx::fail);
  }

  /**
   * Walks the chain oldest first, from its start (or the end of its exported part), or from where an earlier
   * answer's {@code next_cursor} stopped, until the end, a break, or the request's bound (events or time).
   */
  public void verify(RoutingContext ctx) {
    // Checked before the caller's app: a verification runs for seconds, so one owner's loop of them would take
    // every event loop's share of the database and the CPU from every other app's sign-ins. One per caller, so that
    // one caller's loop of them cannot keep the others' out either.
    AdminAuth.Principal principal = AdminAuth.principal(ctx);
    String caller = principal.operator() ? "operator" : String.valueOf(principal.ownerId());
    if (verifyingFor.contains(caller) || waiting.stream().anyMatch(queued -> queued.caller().equals(caller))) {
      ctx.fail(ApiException.rateLimited(ErrorCode.RATE_LIMITED,
          "your previous audit chain verification is still running; retry in 1 s", 1));
      return;
    }
    if (verifyingFor.size() < VERIFYING_PER_LOOP) {
      run(ctx, caller);
    } else if (waiting.size() < WAITING_PER_LOOP) {
      // Waits at most as long as a verification walks: by then one of the two places has freed, or something is wrong.
      Waiting queued = new Waiting(caller, ctx, ctx.vertx().setTimer(verifyBudgetNanos / 1_000_000 + 1_000,
          late -> giveUp(caller)));
      waiting.add(queued);
    } else {
      ctx.fail(busy());
    }
  }

  private static ApiException busy() {
    return ApiException.rateLimited(ErrorCode.RATE_LIMITED, "audit chain verification is busy on this server; retry "
        + "in 1 s", 1);
  }

  private void giveUp(String caller) {
    waiting.stream().filter(queued -> queued.caller().equals(caller)).findFirst().ifPresent(queued -> {
      waiting.remove(queued);
      queued.ctx().fail(busy());
    });
  }

  /** The next waiting verification whose caller is still there, once a place has freed. */
  private void next() {
    while (verifyingFor.size() < VERIFYING_PER_LOOP && !waiting.isEmpty()) {
      Waiting queued = waiting.poll();
      queued.ctx().vertx().cancelTimer(queued.timer());
      if (!queued.ctx().response().closed()) {
        run(queued.ctx(), queued.caller());
      }
    }
  }

  private void run(RoutingContext ctx, String caller) {
    verifyingFor.add(caller);
    String cursor = QueryParams.of(ctx).get("cursor");
    long deadline = System.nanoTime() + verifyBudgetNanos;
    // Composed, so that whatever fails, even at once, ends this verification (else the loop's next ones are all 429).
    Future.succeededFuture().compose(started -> visibleChain(ctx))
        .compose(appId -> reader.head(appId).compose(head -> {
          ChainVerifier.Resume resume = cursor == null || cursor.isBlank() ? null
              : ChainVerifier.Resume.parse(cursor.trim(), appId);
          if (resume != null && (head == null || resume.seq() > head.seq())) {
            return Future.failedFuture(ApiException.invalid("cursor", "is past the end of this app's chain"));
          }
          return head == null
              ? Future.succeededFuture(new ChainVerifier(appId, null, chainKey))
              : reader.archivedThrough(appId, head, ledgerKey)
                  .compose(archived -> walk(appId, new ChainVerifier(appId, head, archived, resume, chainKey), deadline));
        }))
        .map(ChainVerifier::result)
        .onComplete(done -> {
          verifyingFor.remove(caller);
          next();
        })
        .onSuccess(body -> Responses.ok(ctx, body))
        .onFailure(ctx::fail);
  }

  private Future<ChainVerifier> walk(UUID appId, ChainVerifier verifier, long deadline) {
    int page = (int) Math.min(VERIFY_PAGE, verifyMaxEvents - verifier.checked());
    // To the end of the stored rows, not the head's seq: a row inserted past the head is a break too.
    return reader.chain(appId, verifier.seq(), Long.MAX_VALUE, page)
        // A page's links are a thousand HMACs: tens of milliseconds of CPU, on a worker, not on the event loop.
        .compose(events -> Vertx.currentContext().owner().executeBlocking(() -> accepted(verifier, events), false)
            .map(whole -> new Page(events.size(), whole)))
        .compose(read -> {
          if (!read.whole()) {
            return Future.succeededFuture(verifier);
          }
          if (read.size() < page) {
            return Future.succeededFuture(verifier);
          }
          if (verifier.checked() >= verifyMaxEvents || System.nanoTime() - deadline >= 0) {
            verifier.cut();
            return Future.succeededFuture(verifier);
          }
          return walk(appId, verifier, deadline);
        });
  }

  private record Page(int size, boolean whole) {
  }

  /** Checks a page's events in order: false at the first that breaks the chain. */
  private static boolean accepted(ChainVerifier verifier, List<StoredEvent> events) {
    for (StoredEvent event : events) {
      if (!verifier.accept(event)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The app id when the caller may read its log: an app it may access, or for the operator also the system
   * chain and the chain of a deleted app. Anything else is 404, so ids of other owners' apps do not leak.
   */
  private Future<UUID> visibleChain(RoutingContext ctx) {
    // The canonical form only, as every other /v1/apps/{app_id} route (UUID.fromString also takes 0-0-0-0-1).
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    if (appId == null) {
      return notFound();
    }
    AdminAuth.Principal principal = AdminAuth.principal(ctx);
    return apps.find(appId).compose(app -> {
      if (app != null) {
        return principal.mayAccess(app.ownerId()) ? Future.succeededFuture(appId) : notFound();
      }
      if (!principal.operator()) {
        return notFound();
      }
      if (AuditEvent.SYSTEM_APP.equals(appId)) {
        return Future.succeededFuture(appId);
      }
      return reader.head(appId).compose(head -> head == null ? notFound() : Future.succeededFuture(appId));
    });
  }

  private static <T> Future<T> notFound() {
    return Future.failedFuture(new ApiException(ErrorCode.NOT_FOUND, "app_id: no such app"));
  }
}
