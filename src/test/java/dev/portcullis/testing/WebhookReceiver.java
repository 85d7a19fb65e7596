package dev.portcullis.testing;

import com.sun.net.httpserver.HttpServer;
import dev.portcullis.core.GatewayConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntSupplier;
import java.util.function.ToIntFunction;

/**
 * The OTP delivery provider of a test: an HTTP server that records every webhook call (so a test reads the
 * code the gateway sent) and answers with the status it is told to.
 */
public final class WebhookReceiver implements AutoCloseable {

  /** What the test gateways sign webhook calls with. */
  public static final String SECRET = "test-webhook-secret-0123456789";

  /** One call as it arrived: the raw body and its signature header. */
  public record Call(byte[] body, String signature) {

    public JsonObject json() {
      return new JsonObject(new String(body, StandardCharsets.UTF_8));
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private volatile ToIntFunction<Call> status = call -> 200;

  public WebhookReceiver() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(executor);
    server.createContext("/otp", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      Call call = new Call(body, exchange.getRequestHeaders().getFirst("X-Portcullis-Signature"));
      calls.add(call);
      exchange.sendResponseHeaders(status.applyAsInt(call), -1);
      exchange.close();
    });
    server.start();
  }

  /** Gateway configuration that sends email and SMS codes here, signed with {@link #SECRET}. */
  public JsonObject channels() {
    return new JsonObject()
        .put(GatewayConfig.OTP_EMAIL_CHANNEL, "webhook")
        .put(GatewayConfig.OTP_EMAIL_WEBHOOK_URL, url())
        .put(GatewayConfig.OTP_SMS_CHANNEL, "webhook")
        .put(GatewayConfig.OTP_SMS_WEBHOOK_URL, url())
        .put(GatewayConfig.WEBHOOK_SECRET, SECRET);
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/otp";
  }

  /** How the next calls are answered (evaluated per call, so it may count or block). */
  public void answer(IntSupplier status) {
    this.status = call -> status.getAsInt();
  }

  /** How the next calls are answered, by what each call carries (e.g. fail the messages to one address). */
  public void answerEach(ToIntFunction<Call> status) {
    this.status = status;
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  public List<Call> callsFor(String otpRequestId) {
    return calls.stream().filter(call -> otpRequestId.equals(call.json().getString("otp_request_id"))).toList();
  }

  /** The first delivered message of a request, waiting for it to arrive. */
  public Call awaitCall(String otpRequestId) {
    Await.until("a webhook call for " + otpRequestId, Duration.ofSeconds(10), () -> !callsFor(otpRequestId).isEmpty());
    return callsFor(otpRequestId).get(0);
  }

  /** The code sent for a request, waiting for its delivery. */
  public String awaitCode(String otpRequestId) {
    return awaitCall(otpRequestId).json().getString("code");
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
