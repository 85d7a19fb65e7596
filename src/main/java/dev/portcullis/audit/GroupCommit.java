package dev.portcullis.audit;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: events that arrive while a batch is being written share the next one; when the writer is
 * idle, a batch starts once the event loop has handled the events already delivered to it (no timer: the 2 ms
 * linger this replaced added 2 ms to the wait of every batch that started idle). A batch
 * closes at {@link #MAX_BATCH_EVENTS}. One batch is in flight at a time, and each sender's future completes
 * only once the batch holding its events has committed (or failed). Runs on the audit verticle's event loop
 * only.
 */
final class GroupCommit {

  static final int MAX_BATCH_EVENTS = 500;
  /** Beyond this many uncommitted events new senders get 503 rather than growing the heap while Postgres is slow. */
  static final int MAX_PENDING_EVENTS = 20_000;
  private static final long REWRITE_AFTER_MS = 50;

  private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

  private record Sender(List<StoredEvent> events, Promise<Void> stored, long arrivedNanos) {
  }

  private final Vertx vertx;
  private final Function<List<StoredEvent>, Future<Void>> writer;
  /** Writes a failed batch again, leaving out what its first write stored after all; null: no second write. */
  private final Function<List<StoredEvent>, Future<Void>> rewriter;
  private final long rewriteWithinNanos;
  private final AuditMetrics metrics;
  private final ArrayDeque<Sender> queue = new ArrayDeque<>();
  private int queuedEvents;
  private int writingEvents;
  private boolean writing;
  private boolean flushScheduled;
  private Promise<Void> drained;

  GroupCommit(Vertx vertx, Function<List<StoredEvent>, Future<Void>> writer, AuditMetrics metrics) {
    this(vertx, writer, null, 0, metrics);
  }

  /**
   * {@code rewriter}: a batch whose write failed as unavailable within {@code rewriteWithinMs} (a connection lost
   * under it, as a Postgres backend terminated or restarted: not a timeout) is written once more, on another
   * connection, before its senders are failed. A login's session commits before its events: written once, a lost
   * connection left the session with no event at all and answered 503 (h67).
   */
  GroupCommit(Vertx vertx, Function<List<StoredEvent>, Future<Void>> writer,
              Function<List<StoredEvent>, Future<Void>> rewriter, long rewriteWithinMs, AuditMetrics metrics) {
    this.vertx = vertx;
    this.writer = writer;
    this.rewriter = rewriter;
    this.rewriteWithinNanos = rewriteWithinMs * 1_000_000;
    this.metrics = metrics;
  }

  /** Completes once the events are committed; fails with the batch's failure (503 when Postgres is unreachable). */
  Future<Void> submit(List<StoredEvent> events) {
    if (queuedEvents + writingEvents + events.size() > MAX_PENDING_EVENTS) {
      metrics.failed(AuditMetrics.UNAVAILABLE, events.size());
      return Future.failedFuture(ApiException.unavailable("the audit log"));
    }
    Sender sender = new Sender(events, Promise.promise(), System.nanoTime());
    queue.add(sender);
    queuedEvents += events.size();
    metrics.queueDepth(queuedEvents + writingEvents);
    if (drained != null || queuedEvents >= MAX_BATCH_EVENTS) {
      flush();
    } else if (!writing && !flushScheduled) {
      flushScheduled = true;
      // Behind the messages already queued on this event loop, so those of the same moment share the batch.
      vertx.runOnContext(v -> {
        if (flushScheduled) {
          flush();
        }
      });
    }
    return sender.stored().future();
  }

  /** Commits everything received so far (and anything still arriving) and completes when nothing is left. */
  Future<Void> drain() {
    if (drained == null) {
      drained = Promise.promise();
    }
    flush();
    return drained.future();
  }

  private void flush() {
    flushScheduled = false;
    if (writing) {
      return; // the batch in flight starts the next one when it is done
    }
    if (queue.isEmpty()) {
      if (drained != null) {
        drained.tryComplete();
      }
      return;
    }
    List<Sender> batch = new ArrayList<>();
    List<StoredEvent> events = new ArrayList<>();
    while (!queue.isEmpty() && (events.isEmpty() || events.size() + queue.peek().events().size() <= MAX_BATCH_EVENTS)) {
      Sender sender = queue.poll();
      batch.add(sender);
      events.addAll(sender.events());
    }
    queuedEvents -= events.size();
    writingEvents = events.size();
    writing = true;
    long started = System.nanoTime();
    Future.succeededFuture(events)
        .compose(writer)
        .recover(failure -> rewrite(events, failure, started))
        .onComplete(done -> {
          writing = false;
          writingEvents = 0;
          metrics.queueDepth(queuedEvents);
          if (done.succeeded()) {
            metrics.committed(events.size(), started, batch.get(0).arrivedNanos());
            batch.forEach(sender -> sender.stored().complete());
          } else {
            ApiException failure = failed(events, done.cause());
            batch.forEach(sender -> sender.stored().fail(failure));
          }
          // Whatever arrived during this commit has waited long enough: write it at once.
          flush();
        });
  }

  private Future<Void> rewrite(List<StoredEvent> events, Throwable failure, long started) {
    if (rewriter == null || Failures.toApi(failure).code() != ErrorCode.UNAVAILABLE
        || System.nanoTime() - started > rewriteWithinNanos) {
      return Future.failedFuture(failure);
    }
    LOG.warn("audit batch of {} events not stored ({}); writing it again", events.size(), failure.getMessage());
    // A moment later: the pool has then let go of the lost connection, and hands out another.
    return vertx.timer(REWRITE_AFTER_MS).compose(waited -> rewriter.apply(events));
  }

  private ApiException failed(List<StoredEvent> events, Throwable cause) {
    ApiException failure = Failures.toApi(cause);
    if (failure.code() == ErrorCode.UNAVAILABLE) {
      // Each sender's request logs its own 503; this line only says why.
      metrics.failed(AuditMetrics.UNAVAILABLE, events.size());
      LOG.warn("audit batch of {} events not stored: {}", events.size(), failure.getMessage());
      return failure;
    }
    metrics.failed(AuditMetrics.ERROR, events.size());
    // A bug: logged once here, with its cause, for the whole batch rather than once per sender; marked logged,
    // nobody else logs it, so this line names the request of every sender it fails.
    LOG.error("audit batch of {} events not stored (requests {})", events.size(), requestIds(events), cause);
    return failure.markLogged();
  }

  private static String requestIds(List<StoredEvent> events) {
    return events.stream().map(StoredEvent::requestId).filter(Objects::nonNull).distinct()
        .collect(Collectors.joining(", "));
  }
}
