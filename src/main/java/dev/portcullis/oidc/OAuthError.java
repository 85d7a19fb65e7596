package dev.portcullis.oidc;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * An error of the token and revocation endpoints, answered as RFC 6749 §5.2 asks:
 * {@code {error, error_description}} (and {@code message}, the gateway's own field, with the same text).
 */
final class OAuthError extends RuntimeException {

  private final int status;
  private final String error;

  OAuthError(int status, String error, String description) {
    super(description, null, false, false);
    this.status = status;
    this.error = error;
  }

  static OAuthError invalidRequest(String description) {
    return new OAuthError(400, "invalid_request", description);
  }

  static OAuthError invalidClient() {
    return new OAuthError(401, "invalid_client", "client authentication failed");
  }

  static OAuthError invalidGrant(String description) {
    return new OAuthError(400, "invalid_grant", description);
  }

  static OAuthError unauthorizedClient(String description) {
    return new OAuthError(400, "unauthorized_client", description);
  }

  static OAuthError unsupportedGrantType(String description) {
    return new OAuthError(400, "unsupported_grant_type", description);
  }

  static OAuthError invalidScope(String description) {
    return new OAuthError(400, "invalid_scope", description);
  }

  String error() {
    return error;
  }

  void answer(RoutingContext ctx) {
    if (ctx.response().headWritten()) {
      return;
    }
    if (status == 401) {
      ctx.response().putHeader("WWW-Authenticate", "Basic realm=\"oidc\", charset=\"UTF-8\"");
    }
    JsonObject body = new JsonObject().put("error", error).put("error_description", getMessage())
        .put("message", getMessage());
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .putHeader("Pragma", "no-cache")
        .end(body.encode());
  }
}
