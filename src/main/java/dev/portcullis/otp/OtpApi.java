package dev.portcullis.otp;

import dev.portcullis.core.Bus;
import dev.portcullis.core.messages.OtpMessages.Send;
import dev.portcullis.core.messages.OtpMessages.Sent;
import dev.portcullis.core.messages.OtpMessages.Verify;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/** {@code /auth/send-otp} and {@code /auth/verify-otp}: validated here, done by the OTP verticle. */
public final class OtpApi {

  private final Bus bus;

  public OtpApi(Bus bus) {
    this.bus = bus;
  }

  public void send(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Send request = new Send(ClientAuth.appId(ctx), Fields.optionalString(body, "email"),
        Fields.optionalString(body, "phone"), RequestIds.of(ctx), Requests.clientIp(ctx));
    Responses.answer(ctx, bus.request(Bus.OTP_SEND, request).map(Sent::toJson));
  }

  public void verify(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Verify request = new Verify(ClientAuth.appId(ctx), Fields.requiredString(body, "otp_request_id"),
        Fields.requiredString(body, "otp"), RequestIds.of(ctx), Requests.clientIp(ctx),
        Fields.optionalUuid(body, "tenant_id"));
    // A session bound to a licensed device: the device id and that device's license key, checked at login.
    UUID deviceId = Fields.optionalUuid(body, "device_id");
    String key = Fields.deviceKey(body, deviceId);
    if (deviceId != null) {
      request = request.withDevice(deviceId, key);
    }
    Responses.answer(ctx, bus.request(Bus.OTP_VERIFY, request).map(Grant::toJson));
  }
}
