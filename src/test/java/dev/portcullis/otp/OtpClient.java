package dev.portcullis.otp;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;

/** A client backend of one app, calling send-otp and verify-otp as API.md shows. */
final class OtpClient {

  private final Http http;
  private final String appId;
  private final String appSecret;

  OtpClient(Http http, JsonObject app) {
    this.http = http;
    this.appId = app.getString("app_id");
    this.appSecret = app.getString("app_secret");
  }

  /** A new app with these settings on that gateway, and its client. */
  static OtpClient forNewApp(TestGateway gateway, String slug, JsonObject settings) {
    return new OtpClient(gateway.http(), gateway.createApp(new JsonObject().put("name", "App " + slug).put("slug", slug)
        .put("settings", settings)));
  }

  OtpClient on(Http other) {
    return new OtpClient(other, new JsonObject().put("app_id", appId).put("app_secret", appSecret));
  }

  String appId() {
    return appId;
  }

  ApiResponse send(String field, String value) {
    return http.post("/auth/send-otp", credentials().put(field, value));
  }

  ApiResponse send(String field, String value, String clientIp) {
    return http.post("/auth/send-otp", credentials().put(field, value).put("client_ip", clientIp));
  }

  ApiResponse send(JsonObject body) {
    return http.post("/auth/send-otp", credentials().mergeIn(body));
  }

  CompletableFuture<ApiResponse> sendAsync(String field, String value) {
    return http.postAsync("/auth/send-otp", credentials().put(field, value));
  }

  /** Sends and returns the otp_request_id, failing when the send is refused. */
  String sent(String field, String value) {
    ApiResponse response = send(field, value);
    if (response.status() != 200) {
      throw new AssertionError("send-otp failed: " + response);
    }
    return response.json().getString("otp_request_id");
  }

  ApiResponse verify(String otpRequestId, String otp) {
    return http.post("/auth/verify-otp", verifyBody(otpRequestId, otp));
  }

  ApiResponse verify(JsonObject body) {
    return http.post("/auth/verify-otp", credentials().mergeIn(body));
  }

  CompletableFuture<ApiResponse> verifyAsync(String otpRequestId, String otp) {
    return http.postAsync("/auth/verify-otp", verifyBody(otpRequestId, otp));
  }

  private JsonObject verifyBody(String otpRequestId, String otp) {
    return credentials().put("otp_request_id", otpRequestId).put("otp", otp);
  }

  private JsonObject credentials() {
    return new JsonObject().put("app_id", appId).put("app_secret", appSecret);
  }
}
