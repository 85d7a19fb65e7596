package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The gateway's OTP webhook target inside the load generator: checks {@code X-Portcullis-Signature} and hands
 * each code to whoever waits for its {@code otp_request_id}. The webhook may arrive before or after the
 * send-otp answer; whichever comes first creates the slot.
 */
final class OtpReceiver {

  private static final long WAIT_MS = 10_000;

  private final Vertx vertx;
  private final byte[] secret;
  private final Map<String, Promise<String>> slots = new ConcurrentHashMap<>();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong badSignatures = new AtomicLong();
  private final ThreadLocal<Mac> macs;
  private HttpServer server;

  OtpReceiver(Vertx vertx, String secret) {
    this.vertx = vertx;
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  Future<Void> listen(int port) {
    server = vertx.createHttpServer().requestHandler(this::handle);
    return server.listen(port, "127.0.0.1").mapEmpty();
  }

  Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  /** The code sent for {@code otpRequestId}; fails after 10 s without a webhook. */
  Future<String> code(String otpRequestId) {
    Promise<String> slot = slot(otpRequestId);
    long timer = vertx.setTimer(WAIT_MS, id -> slot.tryFail("no webhook within " + WAIT_MS + " ms"));
    return slot.future().andThen(done -> {
      vertx.cancelTimer(timer);
      slots.remove(otpRequestId);
    });
  }

  JsonObject toJson() {
    return new JsonObject().put("received", received.get()).put("bad_signatures", badSignatures.get())
        .put("unclaimed", slots.size());
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      received.incrementAndGet();
      if (!signed(body, request.getHeader("X-Portcullis-Signature"))) {
        badSignatures.incrementAndGet();
        request.response().setStatusCode(401).end();
        return;
      }
      JsonObject message = new JsonObject(body);
      slot(message.getString("otp_request_id")).tryComplete(message.getString("code"));
      request.response().setStatusCode(204).end();
    }).onFailure(failure -> request.response().setStatusCode(400).end());
  }

  private Promise<String> slot(String otpRequestId) {
    return slots.computeIfAbsent(otpRequestId, id -> Promise.promise());
  }

  private boolean signed(Buffer body, String header) {
    if (header == null || !header.startsWith("sha256=")) {
      return false;
    }
    byte[] expected = macs.get().doFinal(body.getBytes());
    byte[] given;
    try {
      given = HexFormat.of().parseHex(header.substring("sha256=".length()));
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(expected, given);
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
