package dev.portcullis.oidc;

import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import dev.portcullis.http.ClientAuthenticator;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

/**
 * Client authentication at the token and revocation endpoints: {@code client_secret_basic} (HTTP Basic with the
 * form-encoded client_id and secret, RFC 6749 §2.3.1) or {@code client_secret_post} (client_id and client_secret in
 * the form), checked by the same authenticator as the REST API's app_id + app_secret. The client must be the
 * app of the issuer's path.
 */
final class OidcClients {

  private final ClientAuthenticator authenticator;

  OidcClients(ClientAuthenticator authenticator) {
    this.authenticator = authenticator;
  }

  /** The authenticated app, or {@link OAuthError#invalidClient()}. */
  Future<UUID> authenticate(RoutingContext ctx, UUID pathApp) {
    String[] credentials;
    try {
      credentials = credentials(ctx);
    } catch (OAuthError refused) {
      return Future.failedFuture(refused);
    }
    ClientAuthenticator.Attempt attempt = new ClientAuthenticator.Attempt(credentials[0], credentials[1],
        RequestIds.of(ctx), Requests.callerIp(ctx));
    return authenticator.authenticate(attempt).transform(done -> {
      if (done.failed()) {
        // A refusal is invalid_client; an outage (Postgres down) stays what it is.
        return Failures.toApi(done.cause()).code() == ErrorCode.INVALID_CLIENT
            ? Future.failedFuture(OAuthError.invalidClient())
            : Future.failedFuture(done.cause());
      }
      if (pathApp == null || !pathApp.equals(done.result())) {
        return Future.failedFuture(OAuthError.invalidClient());
      }
      return Future.succeededFuture(done.result());
    });
  }

  private static String[] credentials(RoutingContext ctx) {
    MultiMap form = ctx.request().formAttributes();
    String header = ctx.request().getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
      // RFC 6749 §3.2: a parameter sent without a value is treated as omitted.
      if (form.getAll("client_secret").stream().anyMatch(secret -> !secret.isEmpty())) {
        throw OAuthError.invalidRequest("use one client authentication method, not both");
      }
      String[] basic = basic(header.substring(6).trim());
      if (form.getAll("client_id").size() > 1) {
        throw OAuthError.invalidRequest("client_id is given more than once");
      }
      String formId = form.get("client_id");
      if (formId != null && !formId.isEmpty() && !formId.equals(basic[0])) {
        throw OAuthError.invalidRequest("client_id differs from the authenticated client");
      }
      return basic;
    }
    if (form.getAll("client_id").size() > 1 || form.getAll("client_secret").size() > 1) {
      throw OAuthError.invalidRequest("client_id and client_secret are given more than once");
    }
    return new String[] {form.get("client_id"), form.get("client_secret")};
  }

  private static String[] basic(String encoded) {
    try {
      String decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      if (colon > 0) {
        return new String[] {URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8),
            URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8)};
      }
    } catch (IllegalArgumentException malformed) {
      // not base64 or not form-encoded: missing credentials
    }
    return new String[] {null, null};
  }
}
