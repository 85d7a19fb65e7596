package dev.portcullis.password;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.http.ApiContext;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * The password and challenge routes: fields are type-checked here, the work is done by the password verticle.
 * Passwords travel only on the local event bus, never into a log line.
 */
public final class PasswordApi {

  private static final Set<String> PROFILE_FIELDS = Set.of("name", "address", "gender", "dob");
  private static final int MAX_PROFILE_VALUE = 500;

  private final ApiContext api;
  private final ClientAuth clientAuth;

  public PasswordApi(ApiContext api, ClientAuth clientAuth) {
    this.api = api;
    this.clientAuth = clientAuth;
  }

  public void mount(Router router) {
    router.post("/auth/challenge").handler(clientAuth::handle).handler(this::challenge);
    router.post("/auth/signup").handler(clientAuth::handle).handler(this::signup);
    router.post("/auth/verify").handler(clientAuth::handle).handler(this::verify);
    router.post("/auth/resend-verification").handler(clientAuth::handle).handler(this::resend);
    router.post("/auth/login").handler(clientAuth::handle).handler(this::login);
    router.post("/auth/change-password").handler(clientAuth::handle).handler(this::change);
    router.post("/auth/request-password-reset").handler(clientAuth::handle).handler(this::requestReset);
    router.post("/auth/reset-password").handler(clientAuth::handle).handler(this::reset);
  }

  private void challenge(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = identity(body).put("purpose", Fields.requiredString(body, "purpose"));
    Requests.forward(api, ctx, Bus.PASSWORD_CHALLENGE, message);
  }

  private void signup(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = withChallenge(body, identity(body))
        .put("password", Fields.requiredString(body, "password"))
        .put("profile", profile(body))
        .put("terms_accepted", Fields.optionalBoolean(body, "terms_accepted", false));
    forward(ctx, 202, Bus.PASSWORD_SIGNUP, message);
  }

  private void verify(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("verification_id", Fields.requiredString(body, "verification_id"))
        .put("code", Fields.requiredString(body, "code"))
        .put("tenant_id", Fields.optionalString(body, "tenant_id"));
    Requests.forward(api, ctx, Bus.PASSWORD_VERIFY, message);
  }

  private void resend(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    String verificationId = Fields.optionalString(body, "verification_id");
    JsonObject message = verificationId != null
        ? new JsonObject().put("verification_id", verificationId)
        : identity(body);
    Requests.forward(api, ctx, Bus.PASSWORD_RESEND, message);
  }

  private void login(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = withChallenge(body, identity(body))
        .put("password", Fields.requiredString(body, "password"))
        .put("tenant_id", Fields.optionalString(body, "tenant_id"))
        .put("device_id", Fields.optionalString(body, "device_id"))
        .put("key", Fields.optionalString(body, "key"));
    Requests.forward(api, ctx, Bus.PASSWORD_LOGIN, message);
  }

  private void change(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("access_token", Fields.requiredString(body, "access_token"))
        .put("current_password", Fields.requiredString(body, "current_password"))
        .put("new_password", Fields.requiredString(body, "new_password"));
    Requests.forward(api, ctx, Bus.PASSWORD_CHANGE, message);
  }

  private void requestReset(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Requests.forward(api, ctx, Bus.PASSWORD_RESET_REQUEST, withChallenge(body, identity(body)));
  }

  private void reset(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("reset_id", Fields.requiredString(body, "reset_id"))
        .put("code", Fields.requiredString(body, "code"))
        .put("new_password", Fields.requiredString(body, "new_password"));
    Requests.forward(api, ctx, Bus.PASSWORD_RESET, message);
  }

  private void forward(RoutingContext ctx, int status, String address, JsonObject message) {
    message.put("app_id", ClientAuth.app(ctx).id().toString());
    api.bus().request(address, Requests.withRequest(ctx, message))
        .onSuccess(result -> Responses.json(ctx, status, result))
        .onFailure(ctx::fail);
  }

  private static JsonObject identity(JsonObject body) {
    return new JsonObject()
        .put("email", Fields.optionalString(body, "email"))
        .put("phone", Fields.optionalString(body, "phone"));
  }

  private static JsonObject withChallenge(JsonObject body, JsonObject message) {
    return message
        .put("challenge_token", Fields.optionalString(body, "challenge_token"))
        .put("pow_solution", Fields.optionalString(body, "pow_solution"));
  }

  /** {name, address, gender, dob}, each an optional string: nothing else is stored. */
  private static JsonObject profile(JsonObject body) {
    JsonObject profile = Fields.optionalObject(body, "profile");
    if (profile == null) {
      return null;
    }
    for (String field : profile.fieldNames()) {
      if (!PROFILE_FIELDS.contains(field)) {
        throw ApiException.invalid("profile." + field, "is not a profile field (name, address, gender, dob)");
      }
      String value = Fields.optionalString(profile, field);
      if (value != null && value.length() > MAX_PROFILE_VALUE) {
        throw ApiException.invalid("profile." + field, "must be at most " + MAX_PROFILE_VALUE + " characters");
      }
    }
    return profile;
  }
}
