package dev.portcullis.chaos;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client backend of one app, calling one base URL (a gateway or the balancer), recording every answer in
 * the ledger. Loopback only: any other host is refused.
 */
final class Client {

  static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2))
      .build();
  private static final AtomicLong SEQUENCE = new AtomicLong();

  record Answer(int status, JsonObject body, long sentAt, long millis, String requestId) {

    boolean ok() {
      return status >= 200 && status < 300;
    }

    String error() {
      return body == null ? (status < 0 ? "no_answer" : null) : body.getString("error");
    }
  }

  final String base;
  final String name;
  final JsonObject app;
  final Ledger ledger;
  final String tag;
  private final Duration timeout;

  Client(String base, String name, JsonObject app, Ledger ledger, String tag, Duration timeout) {
    URI uri = URI.create(base);
    if (!uri.getHost().equals("127.0.0.1") && !uri.getHost().equals("localhost")) {
      throw new IllegalArgumentException("loopback only: " + base);
    }
    this.base = base;
    this.name = name;
    this.app = app;
    this.ledger = ledger;
    this.tag = tag;
    this.timeout = timeout;
  }

  Client on(String otherBase, String otherName) {
    return new Client(otherBase, otherName, app, ledger, tag, timeout);
  }

  JsonObject credentials() {
    return new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"));
  }

  /**
   * As the README asks of client backends, with the end user's address ({@code client_ip}): one per email, in
   * 198.18.0.0/15 (set aside for benchmarks), so the per-network rules see many users, and the same user always
   * from the same network. Without it, every send of the run would share the app's bucket of requests without
   * a client IP, and a long run (the soak after the spike) would be answered 429 throughout.
   */
  Answer send(String email) {
    return post("send", "/auth/send-otp", credentials().put("email", email).put("client_ip", clientIp(email)), null);
  }

  static String clientIp(String email) {
    int hash = email.hashCode();
    return "198." + (18 + ((hash >>> 16) & 1)) + "." + ((hash >>> 8) & 0xff) + "." + (1 + (hash & 0xff) % 254);
  }

  Answer verify(String otpRequestId, String code) {
    Answer answer = post("verify", "/auth/verify-otp", credentials().put("otp_request_id", otpRequestId).put("otp", code), null);
    return answer;
  }

  Answer refresh(String refreshToken) {
    return post("refresh", "/auth/refresh", credentials().put("refresh_token", refreshToken), null);
  }

  Answer logout(String refreshToken) {
    return post("logout", "/auth/logout", credentials().put("refresh_token", refreshToken), null);
  }

  Answer me(String accessToken) {
    return call("me", "GET", "/auth/me", null, accessToken, null);
  }

  Answer post(String op, String path, JsonObject body, JsonObject extra) {
    return call(op, "POST", path, body, null, extra);
  }

  Answer call(String op, String method, String path, JsonObject body, String bearer, JsonObject extra) {
    try {
      return callAsync(op, method, path, body, bearer, extra).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sends; the answer (never a failed future: no answer is status -1) is in the ledger when it completes. */
  CompletableFuture<Answer> callAsync(String op, String method, String path, JsonObject body, String bearer, JsonObject extra) {
    String requestId = tag + "-" + op + "-" + SEQUENCE.incrementAndGet();
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(timeout)
        .header("X-Request-Id", requestId)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    long sentAt = System.currentTimeMillis();
    long started = System.nanoTime();
    return HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
        .handle((response, failure) -> {
          long millis = (System.nanoTime() - started) / 1_000_000;
          Answer answer;
          if (failure != null) {
            answer = new Answer(-1, null, sentAt, millis, requestId);
          } else {
            JsonObject json = null;
            try {
              json = response.body() == null || response.body().isBlank() ? null : new JsonObject(response.body());
            } catch (RuntimeException notJson) {
              json = new JsonObject().put("error", "not_json");
            }
            answer = new Answer(response.statusCode(), json, sentAt, millis, requestId);
          }
          record(op, answer, body, extra);
          return answer;
        });
  }

  private void record(String op, Answer answer, JsonObject request, JsonObject extra) {
    JsonObject entry = new JsonObject()
        .put("t", answer.sentAt())
        .put("ms", answer.millis())
        .put("gw", name)
        .put("op", op)
        .put("rid", answer.requestId())
        .put("status", answer.status())
        .put("error", answer.error());
    if (answer.ok() && answer.body() != null) {
      String access = answer.body().getString("access_token");
      if (access != null) {
        entry.put("sid", claim(access, "sid"));
      }
      String refresh = answer.body().getString("refresh_token");
      if (refresh != null) {
        entry.put("rt_hash", sha256(refresh));
      }
      if ("logout".equals(op)) {
        entry.put("revoked", answer.body().getInteger("revoked"));
      }
      if ("verify".equals(op)) {
        entry.put("req", request.getString("otp_request_id")).put("code", request.getString("otp"));
      }
    }
    if (extra != null) {
      entry.mergeIn(extra);
    }
    ledger.record(entry);
  }

  static String claim(String jwt, String name) {
    String[] parts = jwt.split("\\.");
    return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)).getString(name);
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
