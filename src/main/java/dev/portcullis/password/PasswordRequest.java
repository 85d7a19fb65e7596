package dev.portcullis.password;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.messages.TokenMessages;
import dev.portcullis.otp.ClientNetwork;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * What every password request works with once its message arrives: the app (with its settings), the end
 * user's network, and the ids for logs and audit events.
 */
record PasswordRequest(App app, String requestId, String clientIp, String network) {

  /** Who revokes sessions after a password change or reset, in the audit data: the user themself. */
  static final JsonObject USER_ACTOR = new JsonObject().put("actor", "user");

  static Future<PasswordRequest> of(AppDirectory apps, UUID appId, Bus.Request message) {
    String network = ClientNetwork.of(message.clientIp());
    return apps.find(appId)
        .map(app -> new PasswordRequest(app.orElseThrow(AppDirectory::invalidClient), message.requestId(),
            message.clientIp(), network));
  }

  UUID appId() {
    return app.id();
  }

  static String required(String field, String value) {
    if (value == null || value.isEmpty()) {
      throw ApiException.invalid(field, "is required");
    }
    return value;
  }

  /** A required password field, in the form it is judged and hashed in ({@link PasswordPolicy#normalise}). */
  /** The password normalised (NFKC); one of spaces alone, no-break ones included once normalised, is missing (h71). */
  static String password(String field, String value) {
    String normalised = PasswordPolicy.normalise(field, required(field, value));
    if (normalised.isBlank()) {
      throw ApiException.invalid(field, "is required");
    }
    return normalised;
  }

  Challenges.Call challenge(String purpose, Identity identity) {
    return new Challenges.Call(app, purpose, identity, network, requestId, clientIp);
  }

  LoginFailures.Attempt attempt(Identity identity, UUID userId, String action) {
    return new LoginFailures.Attempt(app.id(), identity, network, userId, app.settings().passwordMaxFailures(),
        app.settings().passwordMaxFailuresPerNetwork(), action, requestId, clientIp, null);
  }

  /**
   * The message that asks the token service for a session, bound to the tenant when given. A device is bound
   * only through {@code license.DeviceBinding}, which checks the device's license key.
   */
  TokenMessages.Issue issue(UUID userId, boolean newUser, UUID tenantId) {
    TokenMessages.Issue issue = TokenMessages.Issue.login(app.id(), userId, newUser, requestId, clientIp);
    return tenantId == null ? issue : issue.withTenant(tenantId);
  }

  /** The token response once the login's events are stored and the session issued (recorded while it is issued). */
  static Future<TokenMessages.Grant> afterAudit(Future<Void> audited, Future<TokenMessages.Grant> issued) {
    return Future.join(audited, issued)
        .transform(done -> audited.failed() ? Future.failedFuture(audited.cause()) : issued);
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
