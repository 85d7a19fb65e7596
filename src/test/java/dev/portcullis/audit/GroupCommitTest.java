package dev.portcullis.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.ErrorCode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("Group commit of audit events")
class GroupCommitTest {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @Test
  @DisplayName("a batch that fails with a bug is logged once, naming the request id of every sender it fails")
  void bugLoggedWithRequestIds() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(GroupCommit.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      GroupCommit commits = new GroupCommit(vertx, events -> Future.failedFuture(new IllegalStateException("bug")),
          new AuditMetrics(new SimpleMeterRegistry()));
      CompletableFuture<Void> bothFailed = new CompletableFuture<>();
      vertx.runOnContext(ignored -> Future.join(commits.submit(List.of(event("req-a"))), commits.submit(List.of(event("req-b"))))
          .onComplete(done -> bothFailed.complete(null)));
      bothFailed.get(10, TimeUnit.SECONDS);
      assertEquals(1, lines.list.size(), lines.list.toString());
      String line = lines.list.get(0).getFormattedMessage();
      assertTrue(line.contains("req-a") && line.contains("req-b"), line);
    } finally {
      logger.detachAppender(lines);
    }
  }

  @Test
  @DisplayName("every sender of a failed batch gets internal_error marked as logged, so no one logs it again")
  void sendersGetLoggedFailure() throws Exception {
    GroupCommit commits = new GroupCommit(vertx, events -> Future.failedFuture(new IllegalStateException("bug")),
        new AuditMetrics(new SimpleMeterRegistry()));
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    vertx.runOnContext(ignored -> commits.submit(List.of(event("req-c"))).onFailure(failure::complete));
    ApiException api = (ApiException) failure.get(10, TimeUnit.SECONDS);
    assertEquals(ErrorCode.INTERNAL_ERROR, api.code());
    assertTrue(api.logged());
  }

  @Test
  @DisplayName("events submitted in one event-loop turn share one batch; one submitted after it commits gets its own")
  void oneTurnOneBatch() throws Exception {
    List<Integer> batches = new CopyOnWriteArrayList<>();
    GroupCommit commits = new GroupCommit(vertx, events -> {
      batches.add(events.size());
      return Future.succeededFuture();
    }, new AuditMetrics(new SimpleMeterRegistry()));
    CompletableFuture<Void> stored = new CompletableFuture<>();
    vertx.runOnContext(ignored -> Future.all(commits.submit(List.of(event("req-d"))), commits.submit(List.of(event("req-e"))),
            commits.submit(List.of(event("req-f"), event("req-g"))))
        .compose(v -> commits.submit(List.of(event("req-h"))))
        .onComplete(done -> stored.complete(null)));
    stored.get(10, TimeUnit.SECONDS);
    assertEquals(List.of(4, 1), batches);
  }

  private static StoredEvent event(String requestId) {
    return StoredEvent.received(AuditEvent.of(AuditEvent.OTP_SENT, UUID.randomUUID(), requestId, null), Instant.now());
  }
}
