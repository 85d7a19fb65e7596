package dev.portcullis.otp;

import com.sun.net.httpserver.HttpServer;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.Await;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.IntSupplier;

/** A delivery provider for tests: an HTTP server that records every webhook call and answers as told. */
final class WebhookReceiver implements AutoCloseable {

  /** One call as it arrived: the raw body and its signature header. */
  record Call(byte[] body, String signature) {

    JsonObject json() {
      return new JsonObject(new String(body, StandardCharsets.UTF_8));
    }
  }

  private final HttpServer server;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private volatile IntSupplier status = () -> 200;

  WebhookReceiver() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/otp", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      calls.add(new Call(body, exchange.getRequestHeaders().getFirst("X-Portcullis-Signature")));
      exchange.sendResponseHeaders(status.getAsInt(), -1);
      exchange.close();
    });
    server.start();
  }

  /** What the test gateways sign webhook calls with. */
  static final String SECRET = "test-webhook-secret-0123456789";

  /** Gateway configuration that sends email and SMS codes here, signed with {@link #SECRET}. */
  JsonObject channels() {
    return new JsonObject()
        .put(GatewayConfig.OTP_EMAIL_CHANNEL, "webhook")
        .put(GatewayConfig.OTP_EMAIL_WEBHOOK_URL, url())
        .put(GatewayConfig.OTP_SMS_CHANNEL, "webhook")
        .put(GatewayConfig.OTP_SMS_WEBHOOK_URL, url())
        .put(GatewayConfig.WEBHOOK_SECRET, SECRET);
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/otp";
  }

  /** How the next calls are answered (evaluated per call, so it may count or block). */
  void answer(IntSupplier status) {
    this.status = status;
  }

  List<Call> calls() {
    return List.copyOf(calls);
  }

  List<Call> callsFor(String otpRequestId) {
    return calls.stream().filter(call -> otpRequestId.equals(call.json().getString("otp_request_id"))).toList();
  }

  /** The first delivered message of a request, waiting for it to arrive. */
  Call awaitCall(String otpRequestId) {
    Await.until("a webhook call for " + otpRequestId, Duration.ofSeconds(10), () -> !callsFor(otpRequestId).isEmpty());
    return callsFor(otpRequestId).get(0);
  }

  String awaitCode(String otpRequestId) {
    return awaitCall(otpRequestId).json().getString("code");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
