package dev.portcullis.password;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;

/** A client backend of one app calling the password endpoints as API.md shows, solving challenges as a browser would. */
final class PasswordClient {

  private final Http http;
  private final String appId;
  private final String appSecret;

  PasswordClient(Http http, JsonObject app) {
    this.http = http;
    this.appId = app.getString("app_id");
    this.appSecret = app.getString("app_secret");
  }

  static PasswordClient forNewApp(TestGateway gateway, String slug, JsonObject settings) {
    return new PasswordClient(gateway.http(), gateway.createApp(new JsonObject().put("name", "App " + slug)
        .put("slug", slug).put("settings", settings)));
  }

  String appId() {
    return appId;
  }

  ApiResponse post(String path, JsonObject body) {
    return http.post(path, credentials().mergeIn(body));
  }

  CompletableFuture<ApiResponse> postAsync(String path, JsonObject body) {
    return http.postAsync(path, credentials().mergeIn(body));
  }

  ApiResponse challenge(String purpose, String email, String clientIp) {
    JsonObject body = new JsonObject().put("purpose", purpose).put("email", email);
    if (clientIp != null) {
      body.put("client_ip", clientIp);
    }
    return post("/auth/challenge", body);
  }

  /** A fresh challenge for this purpose and email, solved when it asks for work: {challenge_token, pow_solution?}. */
  JsonObject solved(String purpose, String email, String clientIp) {
    ApiResponse challenge = challenge(purpose, email, clientIp);
    if (challenge.status() != 200) {
      throw new AssertionError("challenge failed: " + challenge);
    }
    String token = challenge.json().getString("challenge_token");
    JsonObject pow = challenge.json().getJsonObject("pow");
    JsonObject fields = new JsonObject().put("challenge_token", token);
    if (pow != null) {
      fields.put("pow_solution", PowSolver.solve(token, pow.getInteger("difficulty")));
    }
    return fields;
  }

  ApiResponse signup(String email, String password) {
    return post("/auth/signup", solved("signup", email, null).put("email", email).put("password", password));
  }

  /** A signup from the end user's client_ip, its challenge asked for from there too. */
  ApiResponse signup(String email, String password, String clientIp) {
    return post("/auth/signup", solved("signup", email, clientIp).put("email", email).put("password", password)
        .put("client_ip", clientIp));
  }

  ApiResponse verify(String verificationId, String code, String clientIp) {
    return post("/auth/verify", new JsonObject().put("verification_id", verificationId).put("code", code)
        .put("client_ip", clientIp));
  }

  ApiResponse requestReset(String email, String clientIp) {
    return post("/auth/request-password-reset", solved("reset", email, clientIp).put("email", email)
        .put("client_ip", clientIp));
  }

  ApiResponse login(String email, String password, String clientIp) {
    JsonObject body = solved("login", email, clientIp).put("email", email).put("password", password);
    if (clientIp != null) {
      body.put("client_ip", clientIp);
    }
    return post("/auth/login", body);
  }

  ApiResponse verify(String verificationId, String code) {
    return post("/auth/verify", new JsonObject().put("verification_id", verificationId).put("code", code));
  }

  ApiResponse requestReset(String email) {
    return post("/auth/request-password-reset", solved("reset", email, null).put("email", email));
  }

  ApiResponse reset(String resetId, String code, String newPassword) {
    return post("/auth/reset-password", new JsonObject().put("reset_id", resetId).put("code", code)
        .put("new_password", newPassword));
  }

  ApiResponse change(String accessToken, String current, String next) {
    return post("/auth/change-password", new JsonObject().put("access_token", accessToken)
        .put("current_password", current).put("new_password", next));
  }

  private JsonObject credentials() {
    return new JsonObject().put("app_id", appId).put("app_secret", appSecret);
  }
}
