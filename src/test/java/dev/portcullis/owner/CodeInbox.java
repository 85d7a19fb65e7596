package dev.portcullis.owner;

import com.sun.net.httpserver.HttpServer;
import dev.portcullis.testing.Await;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The webhook delivery provider of a test: receives every code the gateway sends, by otp_request_id. */
public final class CodeInbox implements AutoCloseable {

  private final HttpServer server;
  private final Map<String, String> codes = new ConcurrentHashMap<>();

  public CodeInbox() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/otp", exchange -> {
      JsonObject call = new JsonObject(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      codes.put(call.getString("otp_request_id"), call.getString("code"));
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/otp";
  }

  /** The code sent for a request, waiting for its delivery. */
  public String code(String otpRequestId) {
    Await.until("the code of " + otpRequestId, Duration.ofSeconds(10), () -> codes.containsKey(otpRequestId));
    return codes.get(otpRequestId);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
