package dev.portcullis.otp;

import dev.portcullis.core.Bus;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.Requests;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code /auth/send-otp} and {@code /auth/verify-otp}: validated here, done by the OTP verticle. */
public final class OtpApi {

  private final Bus bus;

  public OtpApi(Bus bus) {
    this.bus = bus;
  }

  public void send(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("email", Fields.optionalString(body, "email"))
        .put("phone", Fields.optionalString(body, "phone"));
    Requests.forward(bus, ctx, Bus.OTP_SEND, message);
  }

  public void verify(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("otp_request_id", Fields.requiredString(body, "otp_request_id"))
        .put("otp", Fields.requiredString(body, "otp"));
    Requests.forward(bus, ctx, Bus.OTP_VERIFY, message);
  }
}
