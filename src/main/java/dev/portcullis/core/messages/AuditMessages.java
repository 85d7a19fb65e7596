package dev.portcullis.core.messages;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import java.util.List;

/** The audit verticle's messages: {@code Bus.AUDIT_RECORD}. */
public final class AuditMessages {

  private AuditMessages() {
  }

  /** Events to store; the reply comes once they are committed. */
  public record Record(List<AuditEvent> events) implements Bus.Request {

    public Record {
      events = events == null ? null : List.copyOf(events);
    }

    @Override
    public String requestId() {
      return events == null || events.isEmpty() ? null : events.get(0).requestId();
    }
  }

  /** How many events were stored. */
  public record Stored(int count) {
  }
}
