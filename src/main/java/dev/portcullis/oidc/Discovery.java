package dev.portcullis.oidc;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Issuers;
import dev.portcullis.http.Responses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** {@code GET /oidc/{app_id}/.well-known/openid-configuration} (OpenID Connect Discovery 1.0 §4). */
final class Discovery {

  static final List<String> CLAIMS = List.of("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp",
      "email", "email_verified", "phone_number", "phone_number_verified", "name", "gender", "birthdate", "address");
  private static final List<String> CLIENT_AUTH = List.of("client_secret_basic", "client_secret_post");

  private final String gatewayIssuer;
  private final AppDirectory apps;

  Discovery(String gatewayIssuer, AppDirectory apps) {
    this.gatewayIssuer = gatewayIssuer;
    this.apps = apps;
  }

  void handle(RoutingContext ctx) {
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    (appId == null ? Future.succeededFuture(Optional.<App>empty()) : apps.findSignInApp(appId))
        .onSuccess(app -> {
          if (app.isEmpty()) {
            ctx.fail(new ApiException(ErrorCode.NOT_FOUND, "app_id: no such app"));
            return;
          }
          Responses.cacheable(ctx, document(Issuers.oidc(gatewayIssuer, appId)), 300);
        })
        .onFailure(ctx::fail);
  }

  static JsonObject document(String issuer) {
    return new JsonObject()
        .put("issuer", issuer)
        .put("authorization_endpoint", issuer + "/authorize")
        .put("token_endpoint", issuer + "/token")
        .put("userinfo_endpoint", issuer + "/userinfo")
        .put("jwks_uri", issuer + "/jwks.json")
        .put("revocation_endpoint", issuer + "/revoke")
        .put("scopes_supported", new JsonArray(Scopes.SUPPORTED))
        .put("response_types_supported", new JsonArray().add("code"))
        .put("response_modes_supported", new JsonArray().add("query"))
        .put("grant_types_supported", new JsonArray().add("authorization_code").add("refresh_token"))
        .put("subject_types_supported", new JsonArray().add("public"))
        .put("id_token_signing_alg_values_supported", new JsonArray().add("RS256"))
        .put("token_endpoint_auth_methods_supported", new JsonArray(CLIENT_AUTH))
        .put("revocation_endpoint_auth_methods_supported", new JsonArray(CLIENT_AUTH))
        .put("code_challenge_methods_supported", new JsonArray().add("S256"))
        .put("authorization_response_iss_parameter_supported", true)
        .put("prompt_values_supported", new JsonArray().add("none").add("login"))
        .put("claims_supported", new JsonArray(CLAIMS))
        .put("claims_parameter_supported", false)
        .put("request_parameter_supported", false)
        .put("request_uri_parameter_supported", false);
  }
}
