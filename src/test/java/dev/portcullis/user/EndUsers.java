package dev.portcullis.user;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** A client backend and an operator of one app in the users, roles and tenants tests. */
public final class EndUsers {

  public static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);

  private final TestGateway gateway;
  private final WebhookReceiver inbox;
  private final JsonObject app;

  public EndUsers(TestGateway gateway, WebhookReceiver inbox, JsonObject app) {
    this.gateway = gateway;
    this.inbox = inbox;
    this.app = app;
  }

  /** A new app whose codes may be sent again at once. */
  public static EndUsers newApp(TestGateway gateway, WebhookReceiver inbox, String slug) {
    JsonObject app = gateway.createApp(new JsonObject().put("name", "App " + slug).put("slug", slug)
        .put("settings", new JsonObject().put("otp_resend_cooldown", 0).put("otp_max_sends_per_hour", 1000)));
    return new EndUsers(gateway, inbox, app);
  }

  public String appId() {
    return app.getString("app_id");
  }

  public JsonObject app() {
    return app;
  }

  public Http http() {
    return gateway.http();
  }

  /** {@code /v1/apps/{app_id}} + rest. */
  public String path(String rest) {
    return "/v1/apps/" + appId() + rest;
  }

  public JsonObject credentials() {
    return new JsonObject().put("app_id", appId()).put("app_secret", app.getString("app_secret"));
  }

  /** An OTP login by email, optionally into a tenant; the raw answer. */
  public ApiResponse login(String email, String tenantId) {
    ApiResponse sent = http().post("/auth/send-otp", credentials().put("email", email));
    assertEquals(200, sent.status(), sent.body());
    String requestId = sent.json().getString("otp_request_id");
    JsonObject verify = credentials().put("otp_request_id", requestId).put("otp", inbox.awaitCode(requestId));
    if (tenantId != null) {
      verify.put("tenant_id", tenantId);
    }
    return http().post("/auth/verify-otp", verify);
  }

  /** A successful OTP login's token response. */
  public JsonObject signIn(String email) {
    ApiResponse answer = login(email, null);
    assertEquals(200, answer.status(), answer.body());
    return answer.json();
  }

  public ApiResponse refresh(String refreshToken, String tenantId) {
    JsonObject body = credentials().put("refresh_token", refreshToken);
    if (tenantId != null) {
      body.put("tenant_id", tenantId);
    }
    return http().post("/auth/refresh", body);
  }

  public ApiResponse me(String accessToken) {
    return http().get("/auth/me", Http.bearer(accessToken));
  }

  /** The access token's claims, after nimbus-jose-jwt verified its RS256 signature against the app's JWKS. */
  public JWTClaimsSet verifiedClaims(String accessToken) throws Exception {
    ApiResponse jwks = http().get("/v1/apps/" + appId() + "/jwks.json");
    assertEquals(200, jwks.status(), jwks.body());
    SignedJWT jwt = SignedJWT.parse(accessToken);
    RSAKey key = JWKSet.parse(jwks.body()).getKeyByKeyId(jwt.getHeader().getKeyID()).toRSAKey();
    if (!jwt.verify(new RSASSAVerifier(key))) {
      throw new AssertionError("the access token does not verify against the app's JWKS");
    }
    return jwt.getJWTClaimsSet();
  }

  /** One value of one row, for asserting stored state. */
  public Object sql(String query, Object... args) {
    try (Connection db = gateway.jdbc(); PreparedStatement statement = db.prepareStatement(query)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      if (!statement.execute()) {
        return statement.getUpdateCount();
      }
      try (ResultSet rows = statement.getResultSet()) {
        return rows.next() ? rows.getObject(1) : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
