package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;

/** A keep-alive HTTP/1.1 client to one loopback server, with at most {@code connections} connections. */
final class Http {

  /** A response: status, body, and the time it was complete ({@link System#nanoTime()}). */
  record Reply(int status, Buffer body, long endNanos) {

    JsonObject json() {
      return body.length() == 0 ? new JsonObject() : new JsonObject(body);
    }

    /** The error code of an error body, or the status alone. */
    String describe() {
      try {
        return status + " " + json().getString("error", "");
      } catch (RuntimeException e) {
        return String.valueOf(status);
      }
    }
  }

  private static final long TIMEOUT_MS = 10_000;

  private final HttpClientAgent client;
  private final String host;
  private final int port;

  Http(Vertx vertx, String baseUrl, int connections) {
    URI uri = URI.create(baseUrl);
    this.host = uri.getHost();
    this.port = uri.getPort();
    if (!host.equals("127.0.0.1") && !host.equals("localhost")) {
      throw new IllegalArgumentException("the harness only sends traffic to loopback, not to " + host);
    }
    this.client = vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setPipelining(false).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(connections));
  }

  Future<Reply> get(String path, String bearer) {
    RequestOptions options = options(HttpMethod.GET, path);
    if (bearer != null) {
      options.putHeader("Authorization", "Bearer " + bearer);
    }
    return send(options, null);
  }

  Future<Reply> postJson(String path, JsonObject body) {
    return send(options(HttpMethod.POST, path).putHeader("Content-Type", "application/json"), body.toBuffer());
  }

  Future<Reply> postForm(String path, String form) {
    return send(options(HttpMethod.POST, path).putHeader("Content-Type", "application/x-www-form-urlencoded"),
        Buffer.buffer(form));
  }

  Future<Void> close() {
    return client.close();
  }

  private RequestOptions options(HttpMethod method, String path) {
    return new RequestOptions().setMethod(method).setHost(host).setPort(port).setURI(path).setTimeout(TIMEOUT_MS);
  }

  private Future<Reply> send(RequestOptions options, Buffer body) {
    return client.request(options)
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(response -> response.body().map(buffer -> new Reply(response.statusCode(), buffer, System.nanoTime())));
  }
}
