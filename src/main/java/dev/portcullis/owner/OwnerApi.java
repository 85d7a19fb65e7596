package dev.portcullis.owner;

import dev.portcullis.app.App;
import dev.portcullis.audit.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import dev.portcullis.audit.AuditLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * Owner sign-in ({@code /v1/owners/*}). Owners are the users of the built-in console app: these routes send
 * the same bus messages as {@code /auth/*} with the console's app id, so codes, rate limits, sessions and
 * refresh-token rotation are the OTP and Token services' own. No client credentials: the caller speaks for
 * itself, and its connection's IP is the one rate limits and the audit log see.
 */
public final class OwnerApi {

  private final Bus bus;
  private final AuditLog audit;
  private final Counter signIns;

  public OwnerApi(Bus bus, AuditLog audit, MeterRegistry metrics) {
    this.bus = bus;
    this.audit = audit;
    this.signIns = Counter.builder("portcullis.owner.sign.ins")
        .description("Owners signed in with a code")
        .register(metrics);
  }

  public void sendOtp(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("email", Fields.optionalString(body, "email"))
        .put("phone", Fields.optionalString(body, "phone"));
    answer(ctx, console(ctx, Bus.OTP_SEND, message).map(sent -> new JsonObject()
        .put("otp_request_id", sent.getValue("otp_request_id"))
        .put("expires_in", sent.getValue("expires_in"))
        .put("resend_after", sent.getValue("resend_after"))));
  }

  public void verifyOtp(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("otp_request_id", Fields.requiredString(body, "otp_request_id"))
        .put("otp", Fields.requiredString(body, "otp"));
    answer(ctx, console(ctx, Bus.OTP_VERIFY, message).compose(tokens -> signedIn(ctx, tokens)).map(OwnerApi::asOwner));
  }

  public void refresh(RoutingContext ctx) {
    JsonObject message = new JsonObject().put("refresh_token", Fields.requiredString(JsonBody.of(ctx), "refresh_token"));
    answer(ctx, console(ctx, Bus.TOKEN_REFRESH, message).map(OwnerApi::asOwner));
  }

  public void logout(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("refresh_token", Fields.requiredString(body, "refresh_token"))
        .put("everywhere", Fields.optionalBoolean(body, "everywhere", false));
    answer(ctx, console(ctx, Bus.TOKEN_LOGOUT, message));
  }

  /** Sends a message on behalf of the console app. */
  private Future<JsonObject> console(RoutingContext ctx, String address, JsonObject message) {
    return bus.request(address, message
        .put("app_id", App.CONSOLE_ID.toString())
        .put("request_id", RequestIds.of(ctx))
        .put("client_ip", Requests.callerIp(ctx)));
  }

  private Future<JsonObject> signedIn(RoutingContext ctx, JsonObject tokens) {
    UUID ownerId = UUID.fromString(tokens.getJsonObject("user").getString("id"));
    AuditEvent event = AuditEvent.of(AuditEvent.OWNER_SIGNED_IN, App.CONSOLE_ID, RequestIds.of(ctx), Requests.callerIp(ctx))
        .withUser(ownerId)
        .with("new_owner", tokens.getBoolean("new_user", false));
    return audit.record(event)
        .onSuccess(stored -> signIns.increment())
        .map(tokens);
  }

  /** The token response of API.md, with {@code owner} in place of {@code user}. */
  private static JsonObject asOwner(JsonObject tokens) {
    JsonObject owner = tokens.copy();
    owner.put("owner", owner.remove("user"));
    return owner;
  }

  private static void answer(RoutingContext ctx, Future<JsonObject> result) {
    result.onSuccess(json -> Responses.ok(ctx, json)).onFailure(ctx::fail);
  }
}
