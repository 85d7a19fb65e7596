package dev.portcullis.owner;

import dev.portcullis.app.App;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.messages.OtpMessages.Verify;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.LoggedOut;
import dev.portcullis.core.messages.TokenMessages.Logout;
import dev.portcullis.core.messages.TokenMessages.Refresh;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import dev.portcullis.otp.Identity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Owner sign-in ({@code /v1/owners/*}) and creation ({@code POST /v1/owners}, operator only). Owners are the
 * users of the built-in console app: these routes send the same bus messages as {@code /auth/*} with the
 * console's app id, so codes, rate limits, sessions and refresh-token rotation are the OTP and Token services'
 * own. No client credentials: the caller speaks for itself, and its connection's IP is the one rate limits and
 * the audit log see. Who may be sent a code is {@link OwnerSignup}'s to say.
 */
public final class OwnerApi {

  private final Bus bus;
  private final AuditLog audit;
  private final OwnerSignup signup;
  private final Counter signIns;

  public OwnerApi(Bus bus, AuditLog audit, MeterRegistry metrics, OwnerSignup signup) {
    this.bus = bus;
    this.audit = audit;
    this.signup = signup;
    this.signIns = Counter.builder("portcullis.owner.sign.ins")
        .description("Owners signed in with a code")
        .register(metrics);
  }

  /** {@code POST /v1/owners}, after the admin guard: the operator only. */
  public void create(RoutingContext ctx) {
    if (!AdminAuth.principal(ctx).operator()) {
      ctx.fail(new ApiException(ErrorCode.FORBIDDEN, "only the operator (admin key) creates owners"));
      return;
    }
    Identity identity = identity(JsonBody.of(ctx));
    signup.create(identity, RequestIds.of(ctx), Requests.callerIp(ctx))
        .onSuccess(owner -> Responses.json(ctx, 201, new JsonObject().put("owner", owner.toJson())))
        .onFailure(ctx::fail);
  }

  public void sendOtp(RoutingContext ctx) {
    Identity identity = identity(JsonBody.of(ctx));
    Responses.answer(ctx, signup.sendFor(identity, RequestIds.of(ctx), Requests.callerIp(ctx))
        .compose(send -> bus.request(Bus.OTP_SEND, send))
        .map(sent -> {
          JsonObject answer = sent.toJson();
          answer.remove("channel");
          return answer;
        }));
  }

  public void verifyOtp(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Verify request = new Verify(App.CONSOLE_ID, Fields.requiredString(body, "otp_request_id"),
        Fields.requiredString(body, "otp"), RequestIds.of(ctx), Requests.callerIp(ctx));
    Responses.answer(ctx, bus.request(Bus.OTP_VERIFY, request).compose(grant -> signedIn(ctx, grant)).map(OwnerApi::asOwner));
  }

  public void refresh(RoutingContext ctx) {
    Refresh request = new Refresh(App.CONSOLE_ID, Fields.requiredString(JsonBody.of(ctx), "refresh_token"),
        RequestIds.of(ctx), Requests.callerIp(ctx));
    Responses.answer(ctx, bus.request(Bus.TOKEN_REFRESH, request).map(OwnerApi::asOwner));
  }

  public void logout(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Logout request = new Logout(App.CONSOLE_ID, Fields.requiredString(body, "refresh_token"),
        Fields.optionalBoolean(body, "everywhere", false), RequestIds.of(ctx), Requests.callerIp(ctx));
    Responses.answer(ctx, bus.request(Bus.TOKEN_LOGOUT, request).map(LoggedOut::toJson));
  }

  private static Identity identity(JsonObject body) {
    return Identity.of(Fields.optionalString(body, "email"), Fields.optionalString(body, "phone"));
  }

  private Future<Grant> signedIn(RoutingContext ctx, Grant grant) {
    AuditEvent event = AuditEvent.of(AuditEvent.OWNER_SIGNED_IN, App.CONSOLE_ID, RequestIds.of(ctx), Requests.callerIp(ctx))
        .withUser(grant.userId())
        .with("new_owner", grant.newUser());
    return audit.record(event)
        .onSuccess(stored -> signIns.increment())
        .map(grant);
  }

  /** The token response of API.md, with {@code owner} in place of {@code user}. */
  private static JsonObject asOwner(Grant grant) {
    JsonObject owner = grant.toJson();
    owner.put("owner", owner.remove("user"));
    return owner;
  }
}
