package dev.portcullis.chaos;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** The gateways' OTP webhook target: hands each delivered code to whoever waits for its otp_request_id. */
final class Receiver implements AutoCloseable {

  private final HttpServer server;
  private final Map<String, CompletableFuture<String>> codes = new ConcurrentHashMap<>();

  Receiver(int port) {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 512);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/otp", exchange -> {
      JsonObject message = new JsonObject(new String(exchange.getRequestBody().readAllBytes()));
      slot(message.getString("otp_request_id")).complete(message.getString("code"));
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    server.start();
  }

  /** The code of a request, or null when none arrived within the wait. */
  String code(String otpRequestId, long waitMs) {
    try {
      return slot(otpRequestId).get(waitMs, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      return null;
    } finally {
      codes.remove(otpRequestId);
    }
  }

  private CompletableFuture<String> slot(String otpRequestId) {
    return codes.computeIfAbsent(otpRequestId, ignored -> new CompletableFuture<>());
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
