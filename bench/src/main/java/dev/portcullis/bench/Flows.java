package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** Shared plumbing of the Portcullis and Keycloak flows: a request that must answer 200, timed and recorded. */
abstract class Flows {

  /** A failure already counted in {@link Stats}. */
  static final class Counted extends RuntimeException {
    Counted(String message) {
      super(message, null, false, false);
    }
  }

  protected final Stats stats;

  Flows(Stats stats) {
    this.stats = stats;
  }

  /** Expects 200; records the latency from {@code startNanos} under {@code op}, or the error. */
  protected Future<JsonObject> expectOk(String op, long startNanos, Future<Http.Reply> call) {
    return expectOk(op, startNanos, call, true);
  }

  /** As above; without {@code parse}, the body is not read as JSON (load generator CPU is the server's loss). */
  protected Future<JsonObject> expectOk(String op, long startNanos, Future<Http.Reply> call, boolean parse) {
    return expect(op, startNanos, call, 200, parse);
  }

  /** Expects {@code status} (e.g. a signup's 202); otherwise as {@link #expectOk}. */
  protected Future<JsonObject> expect(String op, long startNanos, Future<Http.Reply> call, int status, boolean parse) {
    return call.transform(ar -> {
      if (ar.failed()) {
        String what = "transport " + ar.cause().getClass().getSimpleName();
        stats.error(op, what);
        return Future.failedFuture(new Counted(what));
      }
      Http.Reply reply = ar.result();
      if (reply.status() != status) {
        String what = reply.describe();
        stats.error(op, what);
        return Future.failedFuture(new Counted(what));
      }
      stats.request(op, reply.endNanos() - startNanos);
      if (!parse) {
        return Future.succeededFuture(null);
      }
      try {
        return Future.succeededFuture(reply.json());
      } catch (RuntimeException e) {
        stats.error(op, "body is not JSON");
        return Future.failedFuture(new Counted("body is not JSON"));
      }
    });
  }

  /** Counts a failure that did not come from a request (a missing webhook, say). */
  protected <T> Future<T> counted(String op, Future<T> future) {
    return future.recover(failure -> {
      if (failure instanceof Counted) {
        return Future.failedFuture(failure);
      }
      stats.error(op, failure.getMessage());
      return Future.failedFuture(new Counted(failure.getMessage()));
    });
  }
}
