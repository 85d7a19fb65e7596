package dev.portcullis.testing;

import dev.portcullis.core.Bus;
import dev.portcullis.core.messages.AuditMessages;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Sees every audit event a gateway sends to its audit verticle (an event-bus interceptor: the message still
 * goes on), so tests can assert what a capability records whatever the audit storage does. For what is
 * stored, read the rows ({@code audit.AuditTrail}).
 */
public final class AuditTap implements AutoCloseable {

  private final TestGateway gateway;
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private final Handler<DeliveryContext<Object>> interceptor = delivery -> {
    if (Bus.AUDIT_RECORD.name().equals(delivery.message().address())
        && delivery.body() instanceof AuditMessages.Record record) {
      record.events().forEach(event -> events.add(event.toJson()));
    }
    delivery.next();
  };

  public AuditTap(TestGateway gateway) {
    this.gateway = gateway;
    gateway.vertx().eventBus().addOutboundInterceptor(interceptor);
  }

  /** The events of a type, for any app, as sent so far. */
  public List<JsonObject> events(String type) {
    return events.stream().filter(event -> type.equals(event.getString("type"))).toList();
  }

  /** The events of a type about one OTP request. */
  public List<JsonObject> events(String type, String otpRequestId) {
    return events(type).stream()
        .filter(event -> otpRequestId.equals(event.getJsonObject("data").getString("otp_request_id")))
        .toList();
  }

  /** The events of a type for an app (app id as string), as sent so far. */
  public List<JsonObject> of(String type, String appId) {
    return events(type).stream().filter(event -> appId.equals(event.getString("app_id"))).toList();
  }

  /** The one event of a type for an app, waiting briefly for it (events are sent before the answer). */
  public JsonObject one(String type, String appId) {
    Await.until(type + " for " + appId, Duration.ofSeconds(2), () -> !of(type, appId).isEmpty());
    List<JsonObject> found = of(type, appId);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + type + " for " + appId + ", got " + found);
    }
    return found.get(0);
  }

  public List<JsonObject> all() {
    return List.copyOf(events);
  }

  /** Every event sent so far, encoded: for asserting that no secret appears anywhere. */
  public String allEncoded() {
    return new JsonArray(all()).encode();
  }

  @Override
  public void close() {
    gateway.vertx().eventBus().removeOutboundInterceptor(interceptor);
  }
}
