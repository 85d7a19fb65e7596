package dev.portcullis.password;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.ApiException;
import dev.portcullis.otp.ClientNetwork;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * What every password request carries once {@code PasswordApi} has validated it: the app, who the request is
 * about (when it names an identity), the end user's network, and the ids for logs and audit events.
 */
record PasswordRequest(App app, JsonObject body, String requestId, String clientIp, String network) {

  static Future<PasswordRequest> of(AppDirectory apps, JsonObject body) {
    UUID appId = UUID.fromString(body.getString("app_id"));
    String clientIp = body.getString("client_ip");
    String network = ClientNetwork.of(clientIp);
    return apps.find(appId)
        .map(app -> new PasswordRequest(app.orElseThrow(AppDirectory::invalidClient), body,
            body.getString("request_id"), clientIp, network));
  }

  UUID appId() {
    return app.id();
  }

  Identity identity() {
    return Identity.of(body.getString("email"), body.getString("phone"));
  }

  String string(String field) {
    return body.getString(field);
  }

  String required(String field) {
    String value = body.getString(field);
    if (value == null || value.isEmpty()) {
      throw ApiException.invalid(field, "is required");
    }
    return value;
  }

  Challenges.Call challenge(String purpose, Identity identity) {
    return new Challenges.Call(app, purpose, identity, network, requestId, clientIp);
  }

  LoginFailures.Attempt attempt(Identity identity, UUID userId, String action) {
    return new LoginFailures.Attempt(app.id(), identity, network, userId, app.settings().passwordMaxFailures(),
        app.settings().passwordMaxFailuresPerNetwork(), action, requestId, clientIp);
  }

  /** The message that asks the token service for a session, with the optional bindings of the request. */
  JsonObject issue(JsonObject user, boolean newUser) {
    JsonObject issue = new JsonObject()
        .put("app_id", app.id().toString())
        .put("user", user)
        .put("new_user", newUser)
        .put("request_id", requestId)
        .put("client_ip", clientIp);
    for (String binding : new String[] {"tenant_id", "device_id"}) {
      if (body.getValue(binding) != null) {
        issue.put(binding, body.getValue(binding));
      }
    }
    return issue;
  }

  /** "email" or "phone": the users column and request field of an identity. */
  static String column(Identity identity) {
    return identity.kind().field();
  }

  static String email(Identity identity) {
    return identity.kind() == Identity.Kind.EMAIL ? identity.value() : null;
  }

  static String phone(Identity identity) {
    return identity.kind() == Identity.Kind.PHONE ? identity.value() : null;
  }
}
