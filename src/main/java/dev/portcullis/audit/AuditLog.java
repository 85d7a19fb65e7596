package dev.portcullis.audit;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.messages.AuditMessages;
import io.vertx.core.Future;
import java.util.List;

/**
 * The sending side of the audit log, for any verticle: the returned future completes once the events are
 * committed, so a caller answers 2xx only after its events are stored.
 */
public final class AuditLog {

  private final Bus bus;

  public AuditLog(Bus bus) {
    this.bus = bus;
  }

  public Future<Void> record(AuditEvent event) {
    return record(List.of(event));
  }

  public Future<Void> record(List<AuditEvent> events) {
    if (events.isEmpty()) {
      return Future.succeededFuture();
    }
    return bus.request(Bus.AUDIT_RECORD, new AuditMessages.Record(events)).mapEmpty();
  }
}
