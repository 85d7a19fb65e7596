package dev.portcullis.audit;

import dev.portcullis.core.Bus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
    JsonArray array = new JsonArray();
    events.forEach(event -> array.add(event.toJson()));
    JsonObject message = new JsonObject().put("events", array).put("request_id", events.get(0).requestId());
    return bus.request(Bus.AUDIT_RECORD, message).mapEmpty();
  }
}
