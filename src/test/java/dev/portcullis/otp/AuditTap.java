package dev.portcullis.otp;

import dev.portcullis.core.Bus;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Sees every audit event a gateway sends to its audit verticle (an event-bus interceptor; the message still
 * goes on), so tests can check which events the OTP service records without depending on how they are stored.
 */
final class AuditTap {

  private final List<JsonObject> events = new CopyOnWriteArrayList<>();

  AuditTap(Vertx vertx) {
    vertx.eventBus().addOutboundInterceptor(ctx -> {
      if (Bus.AUDIT_RECORD.equals(ctx.message().address()) && ctx.body() instanceof JsonObject body) {
        body.getJsonArray("events").forEach(event -> events.add((JsonObject) event));
      }
      ctx.next();
    });
  }

  List<JsonObject> events(String type) {
    return events.stream().filter(event -> type.equals(event.getString("type"))).toList();
  }

  /** Events of a type about one OTP request. */
  List<JsonObject> events(String type, String otpRequestId) {
    return events(type).stream()
        .filter(event -> otpRequestId.equals(event.getJsonObject("data").getString("otp_request_id")))
        .toList();
  }

  List<JsonObject> all() {
    return List.copyOf(events);
  }
}
