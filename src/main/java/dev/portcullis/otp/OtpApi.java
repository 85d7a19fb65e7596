package dev.portcullis.otp;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.http.ApiContext;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.Requests;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code /auth/send-otp} and {@code /auth/verify-otp}: validated here, done by the OTP verticle. */
public final class OtpApi {

  private final ApiContext api;
  private final ClientAuth clientAuth;

  public OtpApi(ApiContext api, ClientAuth clientAuth) {
    this.api = api;
    this.clientAuth = clientAuth;
  }

  public void mount(Router router) {
    router.post("/auth/send-otp").handler(clientAuth::handle).handler(this::send);
    router.post("/auth/verify-otp").handler(clientAuth::handle).handler(this::verify);
  }

  private void send(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("email", Fields.optionalString(body, "email"))
        .put("phone", Fields.optionalString(body, "phone"));
    Requests.forward(api, ctx, Bus.OTP_SEND, message);
  }

  private void verify(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("otp_request_id", Fields.requiredString(body, "otp_request_id"))
        .put("otp", Fields.requiredString(body, "otp"));
    // A session bound to a licensed device: the device id and that device's license key, checked at issue.
    String deviceId = Fields.optionalString(body, "device_id");
    if (deviceId != null) {
      if (AppDirectory.parseUuid(deviceId) == null) {
        throw ApiException.invalid("device_id", "must be a UUID");
      }
      message.put("device_id", deviceId).put("key", Fields.requiredString(body, "key"));
    }
    Requests.forward(api, ctx, Bus.OTP_VERIFY, message);
  }
}
