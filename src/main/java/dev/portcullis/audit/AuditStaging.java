package dev.portcullis.audit;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Audit before acknowledgement for the admin changes of a capability: each change stages its events in its own
 * transaction ({@link AuditOutbox}), so the change and its events commit together or not at all, and records them
 * in the chain once that transaction committed. A change whose events cannot be staged fails and leaves nothing;
 * one whose events cannot be recorded after the commit is still acknowledged, its events durable in the outbox
 * (the audit verticle moves them into the chain moments later).
 */
public final class AuditStaging {

  private final Postgres pg;
  private final AuditLog audit;

  public AuditStaging(Postgres pg, AuditLog audit) {
    this.pg = pg;
    this.audit = audit;
  }

  /** What a change runs last in its transaction, given what it changed (e.g. stages the events of it). */
  @FunctionalInterface
  public interface Step<T> {

    Future<Void> run(SqlConnection conn, T changed);

    /** Runs the step when something changed (not null) and completes with it, or with null. */
    default Future<T> after(SqlConnection conn, T changed) {
      return changed == null ? Future.succeededFuture() : run(conn, changed).map(changed);
    }
  }

  /** The events of one change (one request): staged in its transaction, recorded after it. */
  public Batch batch() {
    return new Batch();
  }

  /** The events of one change; made per request. */
  public final class Batch {

    private final List<AuditOutbox.Staged> staged = new ArrayList<>();

    private Batch() {
    }

    /** Stages the events on the caller's connection, inside the caller's transaction. */
    public Future<Void> stage(SqlConnection conn, List<AuditEvent> events) {
      List<AuditOutbox.Staged> these = events.stream().map(AuditOutbox.Staged::of).toList();
      return AuditOutbox.stageAll(conn, these).onSuccess(done -> staged.addAll(these));
    }

    /** The step that stages the events of what the change changed (none for an empty list). */
    public <T> Step<T> events(Function<T, List<AuditEvent>> events) {
      return (conn, changed) -> stage(conn, events.apply(changed));
    }

    /** After the commit: records the staged events in the chain and completes with {@code value}; never fails. */
    public <T> Future<T> recorded(T value) {
      return AuditOutbox.record(pg, audit, List.copyOf(staged)).map(value);
    }
  }
}
