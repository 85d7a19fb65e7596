package dev.portcullis.hosted;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The client backend of the browser test, as an app would write it: its callback checks that {@code state} is the
 * one it issued for this browser, then trades the code at the UserInfo API; its conversation return page reads the
 * conversation's result. Each answers a small HTML page with what it found.
 */
final class TestBackend implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  private final WebClient client = WebClient.create(vertx);
  private final Map<String, Boolean> issuedStates = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final int gatewayPort;
  private final String appId;
  private final String basic;

  TestBackend(int gatewayPort, String appId, String appSecret) {
    this.gatewayPort = gatewayPort;
    this.appId = appId;
    this.basic = "Basic " + Base64.getEncoder().encodeToString((appId + ":" + appSecret).getBytes());
    this.server = vertx.createHttpServer()
        .requestHandler(request -> {
          if (request.path().equals("/callback")) {
            callback(request.getParam("auth_code"), request.getParam("state"), request.response());
          } else if (request.path().equals("/return")) {
            conversation(request.getParam("conversation"), request.response());
          } else {
            request.response().setStatusCode(404).end();
          }
        });
    try {
      server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The callback URL to register (http is allowed on localhost). */
  String callbackUrl() {
    return "http://localhost:" + server.actualPort() + "/callback";
  }

  String returnUrl() {
    return "http://localhost:" + server.actualPort() + "/return";
  }

  /** A state for one sign-in, remembered so the callback can check it (login CSRF). */
  String newState() {
    String state = "st-" + java.util.UUID.randomUUID();
    issuedStates.put(state, true);
    return state;
  }

  private void callback(String code, String state, io.vertx.core.http.HttpServerResponse response) {
    if (state == null || issuedStates.remove(state) == null) {
      page(response, 400, "state-mismatch", "unexpected state");
      return;
    }
    client.get(gatewayPort, "127.0.0.1", "/api/client/" + appId + "/userinfo")
        .addQueryParam("code", code)
        .putHeader("Authorization", basic)
        .send()
        .onSuccess(answer -> {
          if (answer.statusCode() != 200) {
            page(response, 502, "exchange-failed", answer.bodyAsString());
            return;
          }
          JsonObject user = answer.bodyAsJsonObject().getJsonObject("user");
          page(response, 200, "signed-in", user.getString("email") + "|" + user.getString("name"));
        })
        .onFailure(failure -> page(response, 502, "exchange-failed", failure.getMessage()));
  }

  private void conversation(String id, io.vertx.core.http.HttpServerResponse response) {
    client.get(gatewayPort, "127.0.0.1", "/api/conversations/" + id)
        .putHeader("Authorization", basic)
        .send()
        .onSuccess(answer -> {
          JsonObject body = answer.bodyAsJsonObject();
          JsonObject auth = body.getJsonObject("result", new JsonObject()).getJsonObject("auth", new JsonObject());
          page(response, 200, "conversation", body.getString("status") + "|" + auth.getString("status") + "|"
              + body.getJsonObject("result", new JsonObject()).getJsonObject("identity", new JsonObject()).encode());
        })
        .onFailure(failure -> page(response, 502, "conversation-failed", failure.getMessage()));
  }

  private static void page(io.vertx.core.http.HttpServerResponse response, int status, String id, String text) {
    String escaped = text == null ? "" : text.replace("&", "&amp;").replace("<", "&lt;");
    response.setStatusCode(status)
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .end("<!DOCTYPE html><html><body><p id=\"" + id + "\">" + escaped + "</p></body></html>");
  }

  @Override
  public void close() {
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
