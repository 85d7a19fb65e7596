package dev.portcullis.testing;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A plain HTTP client, as a client backend would use one. Blocking calls are for test threads only. */
public final class Http {

  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .version(HttpClient.Version.HTTP_1_1)
      .build();

  private final String base;

  public Http(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  public ApiResponse get(String path, String... headers) {
    return send("GET", path, null, headers);
  }

  public ApiResponse post(String path, JsonObject body, String... headers) {
    return send("POST", path, body == null ? null : body.encode(), withJson(headers));
  }

  public ApiResponse patch(String path, JsonObject body, String... headers) {
    return send("PATCH", path, body.encode(), withJson(headers));
  }

  public ApiResponse put(String path, JsonObject body, String... headers) {
    return send("PUT", path, body.encode(), withJson(headers));
  }

  public ApiResponse delete(String path, String... headers) {
    return send("DELETE", path, null, headers);
  }

  /** headers as name, value, name, value... */
  public ApiResponse send(String method, String path, String body, String... headers) {
    try {
      return sendAsync(method, path, body, headers).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(method + " " + path + " failed", e.getCause());
    }
  }

  public CompletableFuture<ApiResponse> sendAsync(String method, String path, String body, String... headers) {
    return sendAsync(method, path,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body), headers);
  }

  /** A body of raw bytes, which need not be UTF-8 at all. */
  public ApiResponse sendBytes(String method, String path, byte[] body, String... headers) {
    return sendAsync(method, path, HttpRequest.BodyPublishers.ofByteArray(body), headers).join();
  }

  private CompletableFuture<ApiResponse> sendAsync(String method, String path, HttpRequest.BodyPublisher body,
                                                   String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, body);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return CLIENT.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
        .thenApply(response -> new ApiResponse(response.statusCode(), response.headers(), response.body()));
  }

  public CompletableFuture<ApiResponse> postAsync(String path, JsonObject body, String... headers) {
    return sendAsync("POST", path, body.encode(), withJson(headers));
  }

  public static String[] bearer(String token) {
    return new String[] {"Authorization", "Bearer " + token};
  }

  private static String[] withJson(String[] headers) {
    String[] all = new String[headers.length + 2];
    all[0] = "Content-Type";
    all[1] = "application/json";
    System.arraycopy(headers, 0, all, 2, headers.length);
    return all;
  }

}
