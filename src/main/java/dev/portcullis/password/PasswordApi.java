package dev.portcullis.password;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.messages.PasswordMessages;
import dev.portcullis.core.messages.TokenMessages;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import dev.portcullis.user.Profiles;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * {@code /auth/challenge}, {@code /auth/signup}, {@code /auth/verify}, {@code /auth/resend-verification},
 * {@code /auth/login}, {@code /auth/change-password}, {@code /auth/request-password-reset} and
 * {@code /auth/reset-password}: fields are type-checked here, the work is done by the password verticle.
 * Passwords travel only on the local event bus, never into a log line.
 */
public final class PasswordApi {


  private final Bus bus;

  public PasswordApi(Bus bus) {
    this.bus = bus;
  }

  public void challenge(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    PasswordMessages.Challenge request = new PasswordMessages.Challenge(ClientAuth.appId(ctx),
        Fields.requiredString(body, "purpose"), Fields.optionalString(body, "email"),
        Fields.optionalString(body, "phone"), RequestIds.of(ctx), Requests.clientIp(ctx));
    Responses.answer(ctx, bus.request(Bus.PASSWORD_CHALLENGE, request).map(PasswordMessages.Challenged::toJson));
  }

  public void signup(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    PasswordMessages.Signup request = new PasswordMessages.Signup(ClientAuth.appId(ctx),
        Fields.optionalString(body, "email"), Fields.optionalString(body, "phone"),
        Fields.requiredString(body, "password"), Fields.optionalString(body, "challenge_token"),
        // Checked as the admin API checks a profile: whatever a sign-up stores, every answer of it must hold.
        Fields.optionalString(body, "pow_solution"),
        body.getValue("profile") == null ? null : Profiles.read(body.getValue("profile"), false),
        Fields.optionalBoolean(body, "terms_accepted", false), RequestIds.of(ctx), Requests.clientIp(ctx));
    bus.request(Bus.PASSWORD_SIGNUP, request)
        .onSuccess(pending -> Responses.json(ctx, 202, pending.toJson()))
        .onFailure(ctx::fail);
  }

  public void verify(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    UUID deviceId = optionalUuid(body, "device_id");
    PasswordMessages.Verify request = new PasswordMessages.Verify(ClientAuth.appId(ctx),
        Fields.requiredString(body, "verification_id"), Fields.requiredString(body, "code"),
        optionalUuid(body, "tenant_id"), deviceId, Fields.deviceKey(body, deviceId), RequestIds.of(ctx),
        Requests.clientIp(ctx));
    Responses.answer(ctx, bus.request(Bus.PASSWORD_VERIFY, request).map(TokenMessages.Grant::toJson));
  }

  public void resend(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    String verificationId = Fields.optionalString(body, "verification_id");
    PasswordMessages.Resend request = new PasswordMessages.Resend(ClientAuth.appId(ctx), verificationId,
        verificationId == null ? Fields.optionalString(body, "email") : null,
        verificationId == null ? Fields.optionalString(body, "phone") : null, RequestIds.of(ctx),
        Requests.clientIp(ctx));
    Responses.answer(ctx, bus.request(Bus.PASSWORD_RESEND, request).map(PasswordMessages.Pending::toJson));
  }

  public void login(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    UUID deviceId = optionalUuid(body, "device_id");
    PasswordMessages.Login request = new PasswordMessages.Login(ClientAuth.appId(ctx),
        Fields.optionalString(body, "email"), Fields.optionalString(body, "phone"),
        Fields.requiredString(body, "password"), Fields.optionalString(body, "challenge_token"),
        Fields.optionalString(body, "pow_solution"), optionalUuid(body, "tenant_id"), deviceId,
        Fields.deviceKey(body, deviceId), RequestIds.of(ctx), Requests.clientIp(ctx));
    Responses.answer(ctx, bus.request(Bus.PASSWORD_LOGIN, request).map(TokenMessages.Grant::toJson));
  }

  public void changePassword(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    PasswordMessages.Change request = new PasswordMessages.Change(ClientAuth.appId(ctx),
        Fields.requiredString(body, "access_token"), Fields.requiredString(body, "current_password"),
        Fields.requiredString(body, "new_password"), RequestIds.of(ctx), Requests.clientIp(ctx));
    Responses.answer(ctx, bus.request(Bus.PASSWORD_CHANGE, request).map(TokenMessages.LoggedOut::toJson));
  }

  public void requestReset(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    PasswordMessages.RequestReset request = new PasswordMessages.RequestReset(ClientAuth.appId(ctx),
        Fields.optionalString(body, "email"), Fields.optionalString(body, "phone"),
        Fields.optionalString(body, "challenge_token"), Fields.optionalString(body, "pow_solution"),
        RequestIds.of(ctx), Requests.clientIp(ctx));
    Responses.answer(ctx, bus.request(Bus.PASSWORD_RESET_REQUEST, request).map(PasswordMessages.ResetPending::toJson));
  }

  public void resetPassword(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    PasswordMessages.Reset request = new PasswordMessages.Reset(ClientAuth.appId(ctx),
        Fields.requiredString(body, "reset_id"), Fields.requiredString(body, "code"),
        Fields.requiredString(body, "new_password"), RequestIds.of(ctx), Requests.clientIp(ctx));
    Responses.answer(ctx, bus.request(Bus.PASSWORD_RESET, request).map(TokenMessages.LoggedOut::toJson));
  }

  private static UUID optionalUuid(JsonObject body, String field) {
    String value = Fields.optionalString(body, field);
    if (value == null) {
      return null;
    }
    UUID id = AppDirectory.parseUuid(value);
    if (id == null) {
      throw ApiException.invalid(field, "must be a UUID");
    }
    return id;
  }
}
